// The language of the current test, and its words (issue 13).
//
// Every project of playwright.config.ts runs in one language (`language`:
// `en` or `fr`, with the browser's locale and `Accept-Language` to match),
// so each test that checks text runs in both without being copied. Tests
// name texts by their catalogue key (`t('header.log_out')`), read from the
// same catalogues the app is built from (app/locales/*.json), with the
// language's plural rules (`Intl.PluralRules`) for `count`.

import { test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Language = 'en' | 'fr';

/** The project option that picks the language (see playwright.config.ts). */
export interface LanguageOptions {
  language: Language;
}

// Playwright loads the tests as CommonJS: `__dirname` is this folder.
const here = __dirname;
const catalogues: Record<Language, Record<string, unknown>> = {
  en: JSON.parse(readFileSync(join(here, '../../app/locales/en.json'), 'utf8')),
  fr: JSON.parse(readFileSync(join(here, '../../app/locales/fr.json'), 'utf8')),
};

/** The language of the running test's project (English outside a test). */
export function language(): Language {
  try {
    const option = (test.info().project.use as Partial<LanguageOptions>).language;
    return option === 'fr' ? 'fr' : 'en';
  } catch {
    return 'en';
  }
}

/** Browser context options for the current language: locale and `Accept-Language`. */
export function languageContext(): { locale: string; extraHTTPHeaders: Record<string, string> } {
  const current = language();
  return { locale: current === 'fr' ? 'fr-FR' : 'en-US', extraHTTPHeaders: { 'Accept-Language': current } };
}

function lookup(catalogue: Record<string, unknown>, path: string[]): unknown {
  let node: unknown = catalogue;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * The text of catalogue `key` in `languageOf` (default: the test's), with
 * `{{ name }}` replaced from `values`; a `count` picks the plural form.
 */
export function tIn(languageOf: Language, key: string, values: Record<string, string | number> = {}): string {
  const catalogue = catalogues[languageOf];
  const path = key.split('.');
  let text = lookup(catalogue, path);
  if (text === undefined && 'count' in values) {
    const category = new Intl.PluralRules(languageOf).select(Number(values.count));
    const last = path.pop()!;
    text = lookup(catalogue, [...path, `${last}_${category}`]) ?? lookup(catalogue, [...path, `${last}_other`]);
  }
  if (typeof text !== 'string') throw new Error(`no text for ${key} in ${languageOf}`);
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`${key} needs ${name}`);
    return String(values[name]);
  });
}

/** [`tIn`] in the test's language. */
export function t(key: string, values: Record<string, string | number> = {}): string {
  return tIn(language(), key, values);
}
