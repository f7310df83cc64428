// The pages' languages: one message catalogue per language (/i18n/<tag>.json), chosen by the
// person (kept in this browser), else by the browser's languages, else English.
//
// Every sentence a page shows is one catalogue entry with named placeholders ({count}); none is
// built from translated pieces, since word order differs between languages. Numbers, dates and
// percentages go through Intl for the chosen language. A missing key is reported on the console
// (the browser tests fail on console errors) and shown as the English-free marker ⟦key⟧, so a raw
// key can never pass unnoticed.
'use strict';

(function () {
  const LANGUAGES = [
    ['en', 'English'], ['fr', 'Français'], ['de', 'Deutsch'], ['es', 'Español'], ['pt-BR', 'Português (Brasil)'],
    ['pl', 'Polski'], ['hi', 'हिन्दी'], ['zh-Hans', '简体中文'],
  ];
  const TAGS = LANGUAGES.map(([tag]) => tag);
  const STORAGE = 'mobilise.language';

  // A browser language to one of ours: exact, then by its first subtag (pt-PT → pt-BR, zh-CN → zh-Hans).
  function match(wanted) {
    if (!wanted) return null;
    const lower = wanted.toLowerCase();
    const exact = TAGS.find((tag) => tag.toLowerCase() === lower);
    if (exact) return exact;
    if (lower === 'zh-tw' || lower === 'zh-hk' || lower === 'zh-hant') return null;  // Traditional: not Simplified
    const primary = lower.split('-')[0];
    return TAGS.find((tag) => tag.toLowerCase().split('-')[0] === primary) || null;
  }

  function stored() {
    try { return window.localStorage.getItem(STORAGE); } catch (e) { return null; }
  }

  function choose() {
    const chosen = match(stored());
    if (chosen) return chosen;
    for (const wanted of navigator.languages || [navigator.language]) {
      const found = match(wanted);
      if (found) return found;
    }
    return 'en';
  }

  const state = { language: 'en', messages: {} };

  async function load(language) {
    const response = await fetch('/i18n/' + language + '.json', { credentials: 'omit' });
    if (!response.ok) throw new Error('catalogue ' + language + ': ' + response.status);
    state.messages = await response.json();
    state.language = language;
    document.documentElement.lang = language;
    document.documentElement.dir = 'ltr';
  }

  // The message `key` with its {placeholders} filled. A plural message is an object of
  // Intl.PluralRules categories, chosen by params.count.
  function t(key, params) {
    let message = state.messages[key];
    if (message === undefined) {
      console.error('missing message: ' + key + ' (' + state.language + ')');
      return '⟦' + key + '⟧';
    }
    if (typeof message === 'object') {
      const category = new Intl.PluralRules(state.language).select(params && typeof params.count === 'number' ? params.count : 0);
      message = message[category] !== undefined ? message[category] : message.other;
    }
    if (!params) return message;
    return message.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined ? whole
      : (typeof params[name] === 'number' ? number(params[name]) : String(params[name]))));
  }

  function has(key) { return state.messages[key] !== undefined; }

  // The page's sentence for an API error code; English messages of the API are never shown.
  function error(code) { return has('error.' + code) ? t('error.' + code) : t('error.generic'); }

  function number(value) { return new Intl.NumberFormat(state.language).format(value); }
  function percent(value) { return new Intl.NumberFormat(state.language, { style: 'percent', maximumFractionDigits: 1 }).format(value); }
  function dateTime(value) {
    return new Intl.DateTimeFormat(state.language, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(value));
  }
  function date(value) { return new Intl.DateTimeFormat(state.language, { dateStyle: 'medium' }).format(new Date(value)); }

  // Fills every [data-i18n] element's text and every [data-i18n-<attribute>] attribute under root.
  function apply(root) {
    for (const element of (root || document).querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
    for (const attribute of ['aria-label', 'placeholder', 'title', 'alt']) {
      const data = 'data-i18n-' + attribute;
      for (const element of (root || document).querySelectorAll('[' + data + ']')) element.setAttribute(attribute, t(element.getAttribute(data)));
    }
  }

  // A <select> of the languages, each named in itself (and marked so), set to the current one.
  function fillSwitcher(select, onChange) {
    select.textContent = '';
    for (const [tag, name] of LANGUAGES) {
      const option = document.createElement('option');
      option.value = tag;
      option.lang = tag;
      option.textContent = name;
      option.selected = tag === state.language;
      select.append(option);
    }
    select.addEventListener('change', async () => {
      try { window.localStorage.setItem(STORAGE, select.value); } catch (e) { /* private mode: this page only */ }
      await load(select.value);
      apply();
      if (onChange) onChange();
    });
  }

  // Of a per-language text ({"en": …, "fr": …}), the one for the page's language, else the
  // campaign's default language: with its own tag, for the lang attribute of what shows it.
  // Tags compare without regard to case (pt-BR, pt-br): texts saved before the service made their
  // keys canonical may be in any case.
  function keyFor(texts, tag) {
    if (!texts || !tag) return undefined;
    if (texts[tag]) return tag;
    const wanted = tag.toLowerCase();
    return Object.keys(texts).find((key) => key.toLowerCase() === wanted && texts[key]);
  }
  function pick(texts, defaultLanguage) {
    for (const tag of [state.language, state.language.split('-')[0]]) {
      const key = keyFor(texts, tag);
      if (key) return { text: texts[key], lang: key };
    }
    const key = keyFor(texts, defaultLanguage);
    return { text: key ? texts[key] : '', lang: key || defaultLanguage };
  }

  window.MobiliseI18n = { LANGUAGES, choose, load, t, has, error, number, percent, dateTime, date, apply, fillSwitcher, pick,
    get language() { return state.language; } };
})();
