import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// Lambdas keep the database password out of their environment: their connection strings carry
// none, and the password is read from Secrets Manager when a connection is first opened. The
// secret is the one RDS Proxy itself authenticates with, in RDS's JSON format.

/** Read again after this long, so a rotated password reaches warm Lambdas' new connections. */
const REFRESH_AFTER_MS = 5 * 60_000;

let client: SecretsManagerClient | undefined;
let cached: { password: Promise<string>; readAt: number } | undefined;

/** The `password` of an RDS-format secret (`{"username": …, "password": …, …}`). */
export function passwordFromSecret(secretString: string, secretId: string): string {
  let secret: unknown;
  try {
    secret = JSON.parse(secretString);
  } catch (error) {
    throw new Error(`secret ${secretId} is not JSON: expected RDS's format {"username", "password", …}`, { cause: error });
  }
  const password = (secret as { password?: unknown } | null)?.password;
  if (typeof password !== 'string' || password === '') throw new Error(`secret ${secretId} has no "password" string`);
  return password;
}

async function readPassword(secretId: string): Promise<string> {
  // The Lambda runtime ships the AWS SDK v3; loaded only by processes configured with a secret.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  client ??= new SecretsManagerClient({});
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (SecretString === undefined) throw new Error(`secret ${secretId} holds no SecretString`);
  return passwordFromSecret(SecretString, secretId);
}

/** The database password held by `secretId`: read once, then again after REFRESH_AFTER_MS or a failed read. */
export function secretPassword(secretId: string): Promise<string> {
  if (!cached || Date.now() - cached.readAt > REFRESH_AFTER_MS) {
    const password = readPassword(secretId);
    const entry = { password, readAt: Date.now() };
    cached = entry;
    password.catch(() => {
      if (cached === entry) cached = undefined;
    });
  }
  return cached.password;
}
