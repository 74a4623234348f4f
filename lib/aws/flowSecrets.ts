import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** How long a secret read from Secrets Manager is kept before it is read again (a rotation reaches flows within it). */
const SECRET_TTL_MS = 5 * 60_000;

/** The environment variable that holds secret `name` locally: `FIREFLOW_SECRET_<NAME>`, upper-cased, `-` and `/` as `_`. */
export const secretVariableOf = (name: string): string => `FIREFLOW_SECRET_${name.toUpperCase().replace(/[-/]/g, '_')}`;

/** Secrets from `FIREFLOW_SECRET_*` variables (the local stack, tests). */
export function environmentSecrets(values: Readonly<Record<string, string>>): (name: string) => Promise<string | undefined> {
  return async (name) => values[secretVariableOf(name)];
}

/** Secrets from AWS Secrets Manager, named `fireflow/<stage>/<name>` (a deployed worker). */
export function secretsManagerSecrets(stage: string): (name: string) => Promise<string | undefined> {
  let client: Promise<SecretsManagerClient> | undefined;
  const cache = new Map<string, { value: Promise<string | undefined>; readAt: number }>();
  const read = async (name: string): Promise<string | undefined> => {
    const { SecretsManagerClient, GetSecretValueCommand, ResourceNotFoundException } = await import('@aws-sdk/client-secrets-manager');
    client ??= Promise.resolve(new SecretsManagerClient({}));
    try {
      return (await (await client).send(new GetSecretValueCommand({ SecretId: `fireflow/${stage}/${name}` }))).SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
  return (name) => {
    const cached = cache.get(name);
    if (cached && Date.now() - cached.readAt < SECRET_TTL_MS) return cached.value;
    const value = read(name);
    value.catch(() => cache.delete(name));
    cache.set(name, { value, readAt: Date.now() });
    return value;
  };
}
