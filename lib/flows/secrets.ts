import { NodeError } from '../errors.js';

/** A static input value that stands for a secret, resolved only when its node runs: `{"$secret": "<name>"}`. */
export interface SecretRef {
  $secret: string;
}

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_/-]{1,256}$/;

export const isSecretRef = (value: unknown): value is SecretRef =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && '$secret' in value;

/** Every `{"$secret": …}` in `value`, with where it stands (`headers.Authorization`). */
export function secretRefsIn(value: unknown, path = ''): Array<{ path: string; ref: SecretRef }> {
  if (isSecretRef(value)) return [{ path, ref: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => secretRefsIn(item, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => secretRefsIn(item, path === '' ? key : `${path}.${key}`));
  return [];
}

/**
 * `value` with every secret reference replaced by the secret's value; the values resolved are
 * added to `resolved`. An unknown or malformed one fails the node with `InvalidInput`.
 */
export async function resolveSecretRefs(value: unknown, secret: (name: string) => Promise<string | undefined>, resolved: Set<string>): Promise<unknown> {
  if (isSecretRef(value)) {
    const name = value.$secret;
    const found = typeof name === 'string' && SECRET_NAME_PATTERN.test(name) ? await secret(name) : undefined;
    if (found === undefined) throw new NodeError('InvalidInput', `secret ${JSON.stringify(name)} does not exist`, { details: { secret: name } });
    resolved.add(found);
    return found;
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => resolveSecretRefs(item, secret, resolved)));
  if (value !== null && typeof value === 'object') {
    const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await resolveSecretRefs(item, secret, resolved)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

export const REDACTED = '[redacted]';

/** `value` with every occurrence of a sensitive string replaced by "[redacted]": what may be recorded. */
export function redacted(value: unknown, sensitive: ReadonlySet<string>): unknown {
  if (sensitive.size === 0) return value;
  if (typeof value === 'string') {
    let text = value;
    for (const secret of sensitive) if (secret.length >= 4 && text.includes(secret)) text = text.split(secret).join(REDACTED);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => redacted(item, sensitive));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redacted(item, sensitive)]));
  return value;
}
