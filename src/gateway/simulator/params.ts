import { paramList, type ParamObject } from './form-params.ts';
import { invalidRequest, missingParam, unknownParam } from './stripe-error.ts';
import type { Metadata } from './stripe-objects.ts';

// Readers for request parameters. Each throws a Stripe-shaped 400 naming the
// parameter, before anything executes — so a validation failure stores nothing.

export function rejectUnknown(params: ParamObject, allowed: readonly string[]): void {
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) throw unknownParam(name);
  }
}

export function readString(params: ParamObject, name: string, options: { required?: boolean; maxLength?: number } = {}): string | undefined {
  const value = params[name];
  if (value === undefined) {
    if (options.required === true) throw missingParam(name);
    return undefined;
  }
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string, not a hash`, { code: 'parameter_invalid_string', param: name });
  if (options.required === true && value === '') throw missingParam(name);
  if (options.maxLength !== undefined && value.length > options.maxLength) {
    throw invalidRequest(`Invalid string: ${name} must be at most ${options.maxLength} characters`, { code: 'parameter_invalid_string', param: name });
  }
  return value;
}

export function readInteger(params: ParamObject, name: string, options: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
  const text = readString(params, name, { required: options.required ?? false });
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw invalidRequest(`Invalid integer: ${text}`, { code: 'parameter_invalid_integer', param: name });
  const value = Number(text);
  const min = options.min ?? 1;
  if (value < min) throw invalidRequest(`This value must be greater than or equal to ${min}.`, { code: 'parameter_invalid_integer', param: name });
  if (options.max !== undefined && value > options.max) {
    throw invalidRequest(`This value must be less than or equal to ${options.max}.`, { code: 'parameter_invalid_integer', param: name });
  }
  return value;
}

export function readBoolean(params: ParamObject, name: string): boolean | undefined {
  const text = readString(params, name);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') throw invalidRequest(`Invalid boolean: ${text}`, { code: 'parameter_invalid_boolean', param: name });
  return text === 'true';
}

function oneOf(values: readonly string[]): string {
  return values.length <= 1 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')}, or ${values.at(-1) ?? ''}`;
}

export function readEnum<T extends string>(params: ParamObject, name: string, values: readonly T[]): T | undefined {
  const text = readString(params, name);
  if (text === undefined) return undefined;
  if (!(values as readonly string[]).includes(text)) throw invalidRequest(`Invalid ${name}: must be one of ${oneOf(values)}`, { param: name });
  return text as T;
}

/** What a `metadata` parameter asks for: Stripe unsets a key sent empty, and every key when `metadata=` is empty. */
export interface MetadataPatch {
  clear: boolean;
  set: Metadata;
  unset: string[];
}

const METADATA_MAX_KEYS = 50;
const METADATA_MAX_KEY_LENGTH = 40;
const METADATA_MAX_VALUE_LENGTH = 500;

export function readMetadata(params: ParamObject, name = 'metadata'): MetadataPatch | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    if (value === '') return { clear: true, set: {}, unset: [] };
    throw invalidRequest('Invalid object: metadata must be a hash of string keys and string values', { param: name });
  }
  const patch: MetadataPatch = { clear: false, set: {}, unset: [] };
  for (const [key, item] of Object.entries(value)) {
    const param = `${name}[${key}]`;
    if (typeof item !== 'string') throw invalidRequest(`Invalid value for ${param}: metadata values must be strings`, { param });
    if (key.length > METADATA_MAX_KEY_LENGTH) throw invalidRequest(`Metadata keys can have up to ${METADATA_MAX_KEY_LENGTH} characters; ${JSON.stringify(key)} has ${key.length}.`, { param });
    if (item.length > METADATA_MAX_VALUE_LENGTH) throw invalidRequest(`Metadata values can have up to ${METADATA_MAX_VALUE_LENGTH} characters.`, { param });
    if (item === '') patch.unset.push(key);
    else patch.set[key] = item;
  }
  if (Object.keys(patch.set).length > METADATA_MAX_KEYS) throw invalidRequest(`An object can have up to ${METADATA_MAX_KEYS} metadata keys.`, { param: name });
  return patch;
}

/** The metadata after a patch; a fresh object, so snapshots taken earlier never change. */
export function applyMetadata(current: Metadata, patch: MetadataPatch | undefined): Metadata {
  if (patch === undefined) return { ...current };
  const next: Metadata = patch.clear ? {} : { ...current };
  for (const key of patch.unset) delete next[key];
  Object.assign(next, patch.set);
  if (Object.keys(next).length > METADATA_MAX_KEYS) throw invalidRequest(`An object can have up to ${METADATA_MAX_KEYS} metadata keys.`, { param: 'metadata' });
  return next;
}

/** `expand[]`: only the listed top-level fields of this object can be expanded. */
export function readExpand(params: ParamObject, expandable: readonly string[]): string[] {
  const value = params.expand;
  if (value === undefined) return [];
  const fields = typeof value === 'string' ? [value] : paramList(value);
  if (fields === null) throw invalidRequest('Invalid array: expand must be a list of field names', { param: 'expand' });
  for (const field of fields) {
    if (!expandable.includes(field)) throw invalidRequest(`This property cannot be expanded (${field}).`, { param: 'expand' });
  }
  return fields;
}
