// SPDX-License-Identifier: MIT
// Stands in for core/i18n/locales.js, which DevTools generates at build time
// and its npm package does not ship: the heap snapshot code only needs the
// default locale (its progress strings are not shown here).
export const LOCALES = ['en-US'];
export const BUNDLED_LOCALES = ['en-US'];
export const DEFAULT_LOCALE = 'en-US';
export const REMOTE_FETCH_PATTERN = '';
export const LOCAL_FETCH_PATTERN = '';
