// The HR console: a client of the public JSON API, nothing else.
//
// It reads with the session cookie (opened by the sign-in page at /admin/sign-in) and writes with
// the session's CSRF token, which GET /v1/session gives to this site's pages only and every write
// sends as X-CSRF-Token. No inline script or style: the Content-Security-Policy forbids them. Every
// sentence a person reads comes from the message catalogues (/i18n/<language>.json), by key.
'use strict';

(function () {
  // The sentences come from the pages' message catalogues (MobiliseI18n, /assets/i18n.js), the
  // console's under 'console.*': t('nav.overview') is the catalogue's 'console.nav.overview'. A
  // plural message is chosen by a numeric {count}; numbers in placeholders are formatted by Intl.
  const I = window.MobiliseI18n;
  const t = (key, values) => I.t('console.' + key, values);
  const has = (key) => I.has('console.' + key);

  // Formats for the chosen language, made again when it changes. Moments are shown in UTC, as the
  // API gives them (the campaign's figures say so).
  let formats = null;
  function makeFormats() {
    formats = {
      number: new Intl.NumberFormat(I.language),
      percent: new Intl.NumberFormat(I.language, { style: 'percent', maximumFractionDigits: 1 }),
      date: new Intl.DateTimeFormat(I.language, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
      day: new Intl.DateTimeFormat(I.language, { dateStyle: 'medium', timeZone: 'UTC' }),
    };
  }
  const number = (value) => (value === null || value === undefined ? '–' : formats.number.format(value));
  const percent = (value) => (value === null || value === undefined ? '–' : formats.percent.format(value));
  const when = (text) => (text ? formats.date.format(new Date(text)) : '–');
  const day = (text) => (text ? formats.day.format(new Date(text)) : '–');
  // An event's times in the browser's time zone, named, as its form takes them (datetime-local).
  // Made at each call: the zone is the browser's at that moment.
  const localWhen = (text) => (text ? new Intl.DateTimeFormat(I.language, { year: 'numeric', month: 'short', day: 'numeric',
    hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(new Date(text)) : '–');

  // A campaign's state as an HR admin means it: a launched campaign is "running" only between its
  // dates (before its start it takes no signature yet, after its end none any more).
  function statusName(campaign) {
    const now = Date.now();
    if (campaign.status === 'active' && Date.parse(campaign.starts_at) > now) return t('status.scheduled');
    if (campaign.status === 'active' && Date.parse(campaign.ends_at) <= now) return t('status.pastEnd');
    return t('status.' + campaign.status);
  }

  // ---- DOM helpers -------------------------------------------------------------------------

  // h('p', {class: 'x', onclick: f}, 'text', child…): an element; strings become text nodes.
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
      else if (name === 'text') element.textContent = value;
      else if (value === true) element.setAttribute(name, '');
      else element.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  let fieldCounter = 0;
  // A labelled control: {label, control} where control is an input/select/textarea element.
  function field(labelKey, control, hintKey) {
    if (!control.id) control.id = 'f' + (++fieldCounter);
    const hint = hintKey ? h('span', { class: 'hint', id: control.id + '-hint' }, t(hintKey)) : null;
    if (hint) control.setAttribute('aria-describedby', hint.id);
    return h('div', { class: 'field' }, h('label', { for: control.id }, t(labelKey)), hint, control);
  }

  function table(captionKey, headerKeys, rows, numeric) {
    const numericSet = new Set(numeric || []);
    // A region that may scroll sideways on a phone: focusable, so that the keyboard can scroll it.
    return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t(captionKey) }, h('table', {},
      h('caption', {}, t(captionKey)),
      h('thead', {}, h('tr', {}, headerKeys.map((key, index) => h('th', { scope: 'col', class: numericSet.has(index) ? 'num' : null }, t(key))))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headerKeys.length, class: 'muted' }, t('common.none'))))));
  }

  function cell(value, attributes) { return h('td', attributes || {}, value); }
  function numberCell(value, figure) { return h('td', { class: 'num', 'data-figure': figure || null }, number(value)); }

  const main = document.getElementById('main');
  const statusRegion = document.getElementById('status');
  const errorSummary = document.getElementById('error-summary');

  // A sentence in the status region, which the next screen clears (unless it is the screen the
  // sentence leads to: keepStatus).
  let keepStatus = false;
  function say(key, values) { statusRegion.textContent = t(key, values); }

  // ---- The API -------------------------------------------------------------------------------

  let session = null;

  // An error to show: from the API (fromAPI: its message is the API's, in English) or the
  // console's own (its message already a catalogue sentence).
  class APIError extends Error {
    constructor(status, code, message, fromAPI) {
      super(message);
      this.status = status;
      this.code = code;
      this.fromAPI = Boolean(fromAPI);
    }
  }

  // One request to the JSON API. Writes carry the session's CSRF token.
  async function api(method, path, options) {
    const settings = options || {};
    const headers = { Accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD' && session) headers['X-CSRF-Token'] = session.csrf_token;
    let body;
    if (settings.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(settings.json);
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body, credentials: 'same-origin' });
    } catch (error) {
      throw new APIError(0, 'unreachable', t('error.unreachable'));
    }
    return readAnswer(response.status, await response.text());
  }

  function readAnswer(status, text) {
    let answer = null;
    try { answer = text ? JSON.parse(text) : null; } catch (error) { answer = null; }
    if (status >= 200 && status < 300) return answer;
    const detail = answer && answer.error ? answer.error : { code: 'http_' + status, message: t('error.http', { status }) };
    throw new APIError(status, detail.code, detail.message, Boolean(answer && answer.error));
  }

  // An upload with progress (fetch has no upload progress): the workforce file.
  function upload(path, file, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('POST', path);
      request.setRequestHeader('Content-Type', 'text/csv');
      request.setRequestHeader('Accept', 'application/json');
      request.setRequestHeader('X-CSRF-Token', session.csrf_token);
      // The import is a job on the server (202 and its id once the file has arrived): it goes on
      // when this page is left, reloaded or closed.
      request.setRequestHeader('Prefer', 'respond-async');
      request.upload.addEventListener('progress', (event) => { if (event.lengthComputable) onProgress(event.loaded, event.total); });
      request.upload.addEventListener('load', () => onProgress(file.size, file.size, true));
      request.addEventListener('load', () => {
        try { resolve(readAnswer(request.status, request.responseText)); } catch (error) { reject(error); }
      });
      request.addEventListener('error', () => reject(new APIError(0, 'unreachable', t('error.unreachable'))));
      request.send(file);
    });
  }

  // The catalogue's sentence for an API error's code. A refusal it has no sentence for points to
  // the API's own sentence, shown below it, rather than saying "try again": the same request would
  // be refused again. Only a failure of the service itself (5xx) gets the generic sentence.
  function sentenceFor(code, status) {
    if (I.has('error.' + code)) return I.t('error.' + code);
    return status >= 400 && status < 500 ? t('error.refused') : I.t('error.generic');
  }

  // The page's own sentence for the error's code (the API's messages stay English), what to do
  // about it, and the API's sentence as it came, marked as English, for the details it names.
  function showError(error) {
    const code = error.code || '';
    let sentence = error.message || String(error);
    if (error.fromAPI) sentence = sentenceFor(code, error.status);
    document.getElementById('error-message').textContent = sentence;
    const said = document.getElementById('error-api');
    said.replaceChildren();
    if (error.fromAPI && error.message && error.message !== sentence) {
      const [before, after] = t('error.apiSaid', { message: '\u0001' }).split('\u0001');
      said.append(before, h('span', { lang: 'en' }, error.message), after || '');
    }
    said.hidden = !said.textContent;
    let action;
    if (has('todo.' + code)) action = t('todo.' + code);
    else if (error.status === 401) action = t('todo.signIn');
    else if (error.status === 403) action = t('todo.forbidden');
    else if (error.status === 404) action = t('todo.notFound');
    else if (error.status === 409) action = t('todo.conflict');
    else if (error.status === 429 || error.status === 503 || error.status === 0) action = t('todo.later');
    else if (error.status >= 500) action = t('todo.server');
    else action = t('todo.fix');
    document.getElementById('error-action').textContent = action;
    errorSummary.hidden = false;
    errorSummary.focus();
  }

  function clearError() { errorSummary.hidden = true; }

  // Runs an action, showing its error (never an unhandled rejection).
  function guarded(action) {
    return async function (event) {
      if (event && event.preventDefault) event.preventDefault();
      clearError();
      try { await action(event); } catch (error) { showError(error); }
    };
  }

  // A confirmation in the page (not window.confirm: it says exactly what will happen, and works by keyboard).
  function confirmStep(container, textKey, values, confirmKey, onConfirm) {
    // Cancelled by its button or by Escape, the question goes and the focus returns to what asked it.
    const opener = document.activeElement;
    const cancel = () => {
      container.replaceChildren();
      if (opener && opener.isConnected && opener !== document.body) opener.focus();
    };
    container.replaceChildren();
    const yes = h('button', { type: 'button', class: 'danger', onclick: guarded(async () => { container.replaceChildren(); await onConfirm(); }) }, t(confirmKey, values));
    const no = h('button', { type: 'button', class: 'secondary', onclick: cancel }, t('common.cancel'));
    container.append(h('div', { class: 'confirm', role: 'group', 'aria-label': t('common.confirmation'),
      onkeydown: (event) => { if (event.key === 'Escape') { event.preventDefault(); cancel(); } } },
      h('p', {}, t(textKey, values)), h('div', { class: 'buttons' }, yes, no)));
    no.focus();
  }

  // ---- Imports under way -------------------------------------------------------------------
  // An import is a job on the server (POST … with Prefer: respond-async, then GET /v1/imports/{id}
  // every second until it ends): leaving the workforce screen, reloading the page or closing it
  // does not stop it. On load the console asks for the organisation's latest import, follows it if
  // it is running and shows its report (or why it failed) on the workforce screen.
  const importState = { running: null, report: null, failure: null, job: null, name: '', file: null, mode: 'upsert', watchers: new Set() };
  let importPoll = null;
  function importChanged() { for (const watcher of importState.watchers) watcher(); }
  // What the running import is doing, as a sentence.
  function importProgress(running) {
    if (running.phase === 'sending') return t('workforce.uploading', { percent: percent(running.fraction) });
    if (running.phase === 'uploading') return t('imports.receiving', { rows: number(running.rows) });
    if (running.phase === 'validating') return t('imports.validating', { rows: number(running.rows) });
    return t(running.dryRun ? 'workforce.checking' : 'workforce.merging');
  }
  const finished = (job) => job.state === 'done' || job.state === 'failed' || job.state === 'held';
  // The job as the API gave it, into the import's state; true when it has ended.
  function followJob(job) {
    importState.job = job.id;
    importState.name = job.file_name || '';
    if (finished(job)) {
      importState.running = null;
      importState.report = job.state === 'done' ? job.report : null;
      importState.failure = job.state === 'done' ? null : { state: job.state, error: job.error || { code: 'internal_error', message: '' } };
    } else {
      importState.running = { dryRun: job.dry_run, phase: job.state, rows: job.progress.rows_read };
      importState.report = null;
      importState.failure = null;
    }
    importChanged();
    return finished(job);
  }
  // Asks for the job every second until it ends; then says so, unless the workforce screen shows it.
  function pollJob(id) {
    clearTimeout(importPoll);
    importPoll = setTimeout(async () => {
      let job;
      try {
        job = await api('GET', '/v1/imports/' + encodeURIComponent(id));
      } catch (error) {
        if (error.status === 0 || error.status === 429 || error.status >= 500) { pollJob(id); return; }
        importState.running = null;
        importChanged();
        showError(error);
        return;
      }
      if (!followJob(job)) { pollJob(id); return; }
      if (!document.getElementById('import-report')) {
        let key = job.dry_run ? 'imports.dryRunDone' : 'imports.done';
        if (job.state === 'failed') key = 'imports.failed';
        else if (job.state === 'held') key = 'imports.held';
        statusRegion.textContent = t(key, { name: importState.name });
        keepStatus = true;
      }
    }, 1000);
  }
  // The organisation's latest import, when the page opens: followed if running, its end shown.
  async function latestImport() {
    const page = await api('GET', '/v1/imports?limit=1');
    if (!page.imports.length) return;
    const job = await api('GET', '/v1/imports/' + encodeURIComponent(page.imports[0].id));
    if (!followJob(job)) pollJob(job.id);
  }

  // ---- Screens -------------------------------------------------------------------------------

  const screens = {};
  let timers = [];

  function stopTimers() { timers.forEach((timer) => clearInterval(timer)); timers = []; }

  function screen(titleKey, ...content) {
    main.replaceChildren(h('h1', { id: 'screen-title' }, t(titleKey)), ...content);
    document.title = t(titleKey) + ' — ' + t('app.name');
  }

  // Screen changes may overlap (a click, then another before the first screen's data came): each
  // route() is a new navigation, and a screen draws only if it belongs to the latest one. A slower,
  // older screen stops there (Superseded) instead of drawing over the newer one.
  let navigation = 0;
  class Superseded extends Error {}
  function draw(nav, titleKey, ...content) {
    if (nav !== navigation) throw new Superseded('a newer screen was asked for');
    screen(titleKey, ...content);
  }

  // The campaign a screen opens on when none is chosen: the running one (a new draft has no stories,
  // events or sheets yet), else the newest.
  function shownFirst(list) { return list.find((campaign) => campaign.status === 'active') || list[0]; }

  async function campaigns() {
    const campaigns = [];
    let cursor = null;
    do {
      const page = await api('GET', '/v1/campaigns?limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      campaigns.push(...page.campaigns);
      cursor = page.next_cursor;
    } while (cursor);
    return campaigns;
  }

  function title(campaign) { return campaign.title[campaign.default_language] || Object.values(campaign.title)[0] || campaign.slug; }

  function campaignSelect(list, selected, onChange) {
    const select = h('select', { onchange: (event) => onChange(event.target.value) },
      list.map((campaign) => h('option', { value: campaign.slug, selected: campaign.slug === selected }, title(campaign) + ' (' + statusName(campaign) + ')')));
    return field('common.campaign', select);
  }

  // Overview: the workforce by country, the last imports, the campaigns with their figures.
  screens.overview = async function () {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    const [workforce, imports, list] = await Promise.all([
      api('GET', '/v1/workforce'), api('GET', '/v1/audit?action=employees.import&limit=5'), campaigns()]);
    const figures = await Promise.all(list.map((campaign) => (campaign.status === 'draft'
      ? Promise.resolve(null) : api('GET', '/v1/campaigns/' + encodeURIComponent(campaign.slug) + '/rankings?metric=signatures'))));
    const importCard = h('section', { class: 'card', 'aria-labelledby': 'running-imports-heading', id: 'running-imports' });
    function drawImportCard() {
      const { running, report } = importState;
      const { failure } = importState;
      importCard.hidden = !running && !report && !failure;
      const name = importState.name;
      importCard.replaceChildren(...[h('h2', { id: 'running-imports-heading' }, t('imports.title')),
        running ? h('p', { 'data-import': 'running' }, t('imports.running', { name, progress: importProgress(running) })) : null,
        running ? h('progress', { 'aria-label': t('workforce.progress') }) : null,
        !running && report ? h('p', { 'data-import': 'done' }, t(report.dry_run ? 'imports.dryRunDone' : 'imports.done', { name })) : null,
        !running && failure ? h('p', { 'data-import': failure.state }, t(failure.state === 'held' ? 'imports.held' : 'imports.failed', { name })) : null,
        h('p', {}, h('a', { href: '#workforce', class: 'button secondary', id: 'open-import' }, t(running ? 'imports.follow' : 'imports.open')))]
        .filter(Boolean));  // replaceChildren would show a null as the text "null"
    }
    drawImportCard();
    importState.watchers.add(drawImportCard);
    draw(nav, 'overview.title', importCard,
      h('section', { class: 'card', 'aria-labelledby': 'workforce-heading' },
        h('h2', { id: 'workforce-heading' }, t('overview.workforce')),
        h('p', {}, t('overview.workforceTotal', { active: number(workforce.active), inactive: number(workforce.inactive) })),
        h('p', { class: 'figure-line' }, h('span', {}, t('overview.activeEmployees') + ' '), h('strong', { 'data-figure': 'workforce-active' }, number(workforce.active))),
        table('overview.byCountry', ['common.country', 'overview.active', 'overview.inactive'],
          workforce.countries.map((row) => h('tr', { 'data-country': row.country }, cell(row.country),
            numberCell(row.active, 'workforce-active-' + row.country), numberCell(row.inactive, 'workforce-inactive-' + row.country))), [1, 2])),
      h('section', { class: 'card', 'aria-labelledby': 'imports-heading' },
        h('h2', { id: 'imports-heading' }, t('overview.imports')),
        table('overview.importsCaption', ['common.when', 'common.who', 'workforce.mode', 'report.inserted', 'report.updated', 'report.deactivated', 'report.rejected'],
          imports.entries.map((entry) => h('tr', {}, cell(when(entry.at)), cell(entry.actor), cell(t('mode.' + entry.details.mode)),
            numberCell(Number(entry.details.inserted)), numberCell(Number(entry.details.updated)), numberCell(Number(entry.details.deactivated)),
            numberCell(Number(entry.details.rejected)))), [3, 4, 5, 6])),
      h('section', { class: 'card', 'aria-labelledby': 'campaigns-heading' },
        h('h2', { id: 'campaigns-heading' }, t('overview.campaigns')),
        table('overview.campaignsCaption', ['campaign.title', 'campaign.status', 'campaign.dates', 'figures.signatures', 'figures.eligible', 'figures.participation'],
          list.map((campaign, index) => {
            const total = figures[index] && figures[index].total;
            return h('tr', { 'data-campaign': campaign.slug }, cell(title(campaign)), cell(statusName(campaign)),
              cell(day(campaign.starts_at) + ' – ' + day(campaign.ends_at)),
              numberCell(total ? total.signatures : null, 'signatures-' + campaign.slug), numberCell(total ? total.eligible : null, 'eligible-' + campaign.slug),
              h('td', { class: 'num', 'data-figure': 'participation-' + campaign.slug }, total ? percent(total.participation) : '–'));
          }), [3, 4, 5])));
  };

  // Workforce: the HR file (dry run first, then the import, the full-sync guard), search, erasure.
  screens.workforce = async function () {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    const fileInput = h('input', { type: 'file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', id: 'workforce-file' });
    const mode = h('select', { id: 'import-mode' }, h('option', { value: 'upsert' }, t('mode.upsert')), h('option', { value: 'full_sync' }, t('mode.full_sync')));
    const chosen = h('p', { class: 'muted', id: 'chosen-file' }, t('workforce.noFile'));
    const progress = h('progress', { max: 1, value: 0, 'aria-label': t('workforce.progress'), hidden: true });
    const progressText = h('p', { class: 'muted', 'aria-live': 'polite' });
    const report = h('div', { id: 'import-report' });
    const dropZone = h('div', { class: 'drop-zone', id: 'drop-zone' }, h('p', {}, t('workforce.drop')), field('workforce.file', fileInput, 'workforce.fileHint'), chosen);
    let file = importState.file;
    mode.value = importState.mode;
    mode.addEventListener('change', () => { importState.mode = mode.value; });

    function choose(selected) {
      file = selected || null;
      importState.file = file;
      importState.report = null;
      importState.failure = null;
      chosen.textContent = file ? t('workforce.chosen', { name: file.name, size: number(file.size) }) : t('workforce.noFile');
      report.replaceChildren();
    }
    if (file) chosen.textContent = t('workforce.chosen', { name: file.name, size: number(file.size) });

    // The import's progress on this screen, while it is shown (the import goes on when it is left).
    // The report or the failure it ended with, drawn once when it comes (shown is what is drawn).
    let shown = null;
    function drawProgress(focus) {
      const running = importState.running;
      progress.hidden = !running;
      progressText.textContent = running ? importProgress(running) : '';
      // The job followed (its id, once the server has answered): the browser test waits for it.
      if (importState.job) progressText.setAttribute('data-import-id', importState.job);
      else progressText.removeAttribute('data-import-id');
      if (running && running.phase === 'sending') progress.value = running.fraction;
      else progress.removeAttribute('value');
      const end = running ? null : (importState.report || importState.failure);
      if (end && end !== shown) {
        shown = end;
        if (importState.report) showReport(importState.report, focus);
        else showFailure(importState.failure, focus);
      } else if (!end && shown) {
        shown = null;
        report.replaceChildren();
      }
    }
    importState.watchers.add(() => drawProgress(true));
    fileInput.addEventListener('change', () => choose(fileInput.files[0]));
    dropZone.addEventListener('dragover', (event) => { event.preventDefault(); dropZone.classList.add('over'); });
    dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
    dropZone.addEventListener('drop', (event) => {
      event.preventDefault();
      dropZone.classList.remove('over');
      if (event.dataTransfer.files.length) choose(event.dataTransfer.files[0]);
    });

    async function send(dryRun, confirmed) {
      if (!file) throw new APIError(400, 'no_file', t('workforce.noFile'));
      if (importState.running) return;
      let path = '/v1/employees/import?mode=' + mode.value + (dryRun ? '&dry_run=true' : '') + '&file_name=' + encodeURIComponent(file.name);
      if (confirmed !== undefined) path += '&confirm_deactivations=' + confirmed;
      importState.running = { dryRun, phase: 'sending', fraction: 0 };
      importState.report = null;
      importState.failure = null;
      importState.job = null;
      importState.name = file.name;
      importChanged();
      let job;
      try {
        job = await upload(path, file, (loaded, total, done) => {
          if (!importState.running) return;
          importState.running = { dryRun, phase: done ? 'validating' : 'sending', fraction: total ? loaded / total : 0, rows: 0 };
          importChanged();
        });
      } catch (error) {
        importState.running = null;
        importChanged();
        throw error;
      }
      // The job goes on on the server; it is followed from here, whichever screen is shown.
      if (!followJob(job)) pollJob(job.id);
    }

    // Why the import ended without a report: failed (nothing written), or held by the full-sync guard.
    function showFailure(failure, focus) {
      const code = failure.error.code || '';
      // A job's failure has no status: only the service's own failures are 5xx-like.
      const sentence = sentenceFor(code, code === 'internal_error' || code.startsWith('database') ? 500 : 422);
      const said = failure.error.message && failure.error.message !== sentence
        ? h('p', { class: 'muted' }, ...(() => { const [before, after] = t('error.apiSaid', { message: '\u0001' }).split('\u0001');
          return [before, h('span', { lang: 'en' }, failure.error.message), after || '']; })()) : null;
      report.replaceChildren(h('section', { class: 'card report', 'aria-labelledby': 'report-heading', 'data-import-state': failure.state },
        h('h2', { id: 'report-heading', tabindex: '-1' }, t(failure.state === 'held' ? 'imports.heldTitle' : 'imports.failedTitle', { name: importState.name })),
        h('p', { class: 'warning', id: 'import-failure' }, sentence), said,
        h('p', {}, has('todo.' + code) ? t('todo.' + code) : t('todo.fix'))));
      if (focus !== false) report.querySelector('h2').focus();
    }

    function showReport(answer, focus) {
      const counts = h('ul', { class: 'counts' },
        ['inserted', 'updated', 'unchanged', 'deactivated', 'rejected_count'].map((key) => h('li', {},
          h('span', {}, t('report.' + (key === 'rejected_count' ? 'rejected' : key))),
          h('strong', { 'data-figure': 'report-' + key }, number(answer[key])))));
      const rejected = table('report.rejectedCaption', ['report.line', 'report.reason'],
        answer.rejected.map((row) => h('tr', { 'data-line': row.line }, cell(number(row.line)), cell(row.error))), [0]);
      const more = h('div', { id: 'more-rejected' });
      // The job's rejected lines after the first page, a page at a time.
      let cursor = answer.rejected_next_cursor;
      let listed = answer.rejected.length;
      function drawMore() {
        more.replaceChildren();
        if (cursor && importState.job) {
          const job = importState.job;
          more.append(h('button', { type: 'button', class: 'secondary', id: 'show-more-rejected', onclick: guarded(async () => {
            const page = await api('GET', '/v1/imports/' + encodeURIComponent(job) + '/rejections?limit=100&cursor=' + encodeURIComponent(cursor));
            const body = rejected.querySelector('tbody');
            for (const row of page.rejected) body.append(h('tr', { 'data-line': row.line }, cell(number(row.line)), cell(row.error)));
            listed += page.rejected.length;
            cursor = page.next_cursor;
            drawMore();
            const button = more.querySelector('button');
            if (button) button.focus();
          }) }, t('report.showMore')));
        } else if (answer.rejected_count > listed) {
          more.append(h('p', {}, t('report.moreRejected', { count: answer.rejected_count - listed })));
        }
      }
      drawMore();
      const next = h('div', { class: 'buttons' });
      const confirmArea = h('div');
      // The next step needs the file, which only the page that chose it has (not a reloaded one).
      if (answer.dry_run && file) {
        if (answer.confirmation_required) {
          next.append(h('p', { class: 'warning' }, t('workforce.guardWarning', {
            count: answer.deactivated, active: number(answer.active_before), share: percent(answer.deactivation_guard) })));
          next.append(h('button', { type: 'button', class: 'danger', id: 'import-confirmed',
            onclick: guarded(() => confirmStep(confirmArea, 'workforce.guardConfirm', { count: answer.deactivated }, 'workforce.guardConfirmButton',
              () => send(false, answer.deactivated))) }, t('workforce.importConfirmed', { count: answer.deactivated })));
        } else if (answer.rows_read > 0 && answer.rejected_count >= answer.rows_read) {
          // Every line rejected: importing would change nothing, so it is not offered.
          next.append(h('p', { class: 'warning', id: 'nothing-to-import' }, t('workforce.nothingToImport')));
        } else {
          next.append(h('button', { type: 'button', id: 'import-now', onclick: guarded(() => send(false)) }, t('workforce.importNow')));
        }
      }
      report.replaceChildren(h('section', { class: 'card report', 'aria-labelledby': 'report-heading' },
        h('h2', { id: 'report-heading', tabindex: '-1' }, t(answer.dry_run ? 'report.dryRunTitle' : 'report.doneTitle')),
        h('p', {}, t(answer.dry_run ? 'report.dryRunIntro' : (answer.rejected_count ? 'report.doneIntro' : 'report.doneIntroClean'), { rows: number(answer.rows_read), mode: t('mode.' + answer.mode) })),
        counts, rejected, more, next, confirmArea));
      if (focus !== false) {
        report.querySelector('h2').focus();
        say(answer.dry_run ? 'report.dryRunTitle' : 'report.doneTitle');
      }
    }

    // Search: by HR id or name (prefix), country, a page at a time.
    const query = h('input', { type: 'search', id: 'employee-query' });
    const country = h('input', { type: 'text', id: 'employee-country', maxlength: 2, autocomplete: 'off', class: 'short' });
    const results = h('div', { id: 'employee-results' });
    const eraseArea = h('div', { id: 'erase-area' });
    let pages = [];

    async function search(cursor) {
      let path = '/v1/employees?limit=25';
      if (query.value.trim()) path += '&q=' + encodeURIComponent(query.value.trim());
      if (country.value.trim()) path += '&country=' + encodeURIComponent(country.value.trim());
      if (cursor) path += '&cursor=' + encodeURIComponent(cursor);
      const page = await api('GET', path);
      const rows = page.employees.map((employee) => h('tr', {},
        cell(employee.external_id), cell(employee.display_name || '–'), cell(employee.country),
        cell(t(employee.active ? 'employee.active' : 'employee.inactive')),
        h('td', {}, h('button', { type: 'button', class: 'secondary small', 'aria-label': t('employee.eraseLabel', { id: employee.external_id }),
          onclick: guarded(() => confirmStep(eraseArea, 'employee.eraseConfirm', { id: employee.external_id }, 'employee.eraseButton', async () => {
            await api('DELETE', '/v1/employees/' + encodeURIComponent(employee.external_id));
            say('employee.erased', { id: employee.external_id });
            await search(pages[pages.length - 1]);
            query.focus();  // the list is drawn anew: the keyboard goes on from the search, not the page's top
          })) }, t('employee.erase')))));
      const nav = h('div', { class: 'buttons' },
        pages.length > 0 ? h('button', { type: 'button', class: 'secondary', onclick: guarded(() => { pages.pop(); return search(pages[pages.length - 1]); }) }, t('common.previous')) : null,
        page.next_cursor ? h('button', { type: 'button', class: 'secondary', id: 'employees-next', onclick: guarded(() => { pages.push(page.next_cursor); return search(page.next_cursor); }) }, t('common.next')) : null);
      results.replaceChildren(table('employee.caption', ['employee.id', 'employee.name', 'common.country', 'employee.state', 'common.actions'], rows), nav);
    }

    const searchForm = h('form', { role: 'search', onsubmit: guarded(() => { pages = []; return search(null); }) },
      h('div', { class: 'row' }, field('employee.query', query, 'employee.queryHint'), field('common.country', country, 'employee.countryHint')),
      h('button', { type: 'submit' }, t('employee.search')));

    draw(nav, 'workforce.title',
      h('section', { class: 'card', 'aria-labelledby': 'upload-heading' },
        h('h2', { id: 'upload-heading' }, t('workforce.upload')),
        h('p', {}, t('workforce.intro')),
        dropZone, field('workforce.mode', mode, 'workforce.modeHint'),
        h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'dry-run', onclick: guarded(() => send(true)) }, t('workforce.dryRun'))),
        progress, progressText),
      report,
      h('section', { class: 'card', 'aria-labelledby': 'search-heading' },
        h('h2', { id: 'search-heading' }, t('employee.title')), searchForm, eraseArea, results));
    // Back on this screen: the import under way, or the report it left.
    drawProgress(false);
    await search(null);
  };

  // Campaigns: the list with actions and live figures, and the wizard for a new one.
  screens.campaigns = async function () {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    const list = await campaigns();
    const actions = h('div', { id: 'campaign-actions' });
    const details = h('div', { id: 'campaign-details' });
    const moves = { draft: ['launch'], active: ['close'], closed: ['archive'], archived: [] };
    const rows = list.map((campaign) => h('tr', { 'data-campaign': campaign.slug },
      cell(title(campaign)), cell(campaign.hashtag), cell(statusName(campaign)), cell(day(campaign.starts_at) + ' – ' + day(campaign.ends_at)),
      h('td', { class: 'buttons' },
        h('button', { type: 'button', class: 'secondary small', onclick: guarded(() => showFigures(campaign, details)) }, t('campaign.figures')),
        moves[campaign.status].map((move) => h('button', { type: 'button', class: 'small', 'data-move': move,
          onclick: guarded(() => confirmStep(actions, 'campaign.confirm.' + move, { title: title(campaign) }, 'campaign.move.' + move, async () => {
            await api('POST', '/v1/campaigns/' + encodeURIComponent(campaign.slug) + '/' + move);
            say('campaign.moved.' + move, { title: title(campaign) });
            await screens.campaigns();
          })) }, t('campaign.move.' + move))))));
    draw(nav, 'campaigns.title',
      h('div', { class: 'buttons' }, h('a', { href: '#campaigns/new', class: 'button' }, t('campaigns.new'))),
      h('section', { class: 'card' }, table('campaigns.caption', ['campaign.title', 'campaign.hashtag', 'campaign.status', 'campaign.dates', 'common.actions'], rows), actions),
      details);
  };

  // A campaign's live figures: the ranking of countries, refreshed every 15 s while shown.
  async function showFigures(campaign, container) {
    stopTimers();
    async function refresh() {
      if (campaign.status === 'draft') {
        container.replaceChildren(h('section', { class: 'card' }, h('h2', {}, title(campaign)), h('p', {}, t('campaign.noFiguresYet'))));
        return;
      }
      const ranking = await api('GET', '/v1/campaigns/' + encodeURIComponent(campaign.slug) + '/rankings?metric=signatures');
      const rows = ranking.rows.concat(ranking.other ? [ranking.other] : []).map((row) => h('tr', { 'data-country': row.country },
        cell(row.country_name), numberCell(row.signatures, 'country-signatures-' + row.country), numberCell(row.eligible),
        h('td', { class: 'num' }, percent(row.participation)), numberCell(row.goal), h('td', { class: 'num' }, percent(row.goal_progress))));
      const total = ranking.total || { signatures: 0, eligible: 0, participation: null };
      container.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'figures-heading' },
        h('h2', { id: 'figures-heading' }, t('campaign.liveFigures', { title: title(campaign) })),
        h('p', { class: 'figure-line' }, t('figures.signatures') + ' ', h('strong', { 'data-figure': 'campaign-signatures' }, number(total.signatures)),
          ' · ' + t('figures.eligible') + ' ', h('strong', {}, number(total.eligible)), ' · ' + t('figures.participation') + ' ', h('strong', {}, percent(total.participation))),
        table('campaign.rankingCaption', ['common.country', 'figures.signatures', 'figures.eligible', 'figures.participation', 'figures.goal', 'figures.goalProgress'], rows, [1, 2, 3, 4, 5]),
        h('p', { class: 'muted small' }, t('campaign.asOf', { when: when(ranking.as_of) }))));
    }
    await refresh();
    if (campaign.status === 'active') timers.push(setInterval(() => { refresh().catch(showError); }, 15000));
  }

  // The wizard: one thing per step; the last step is the preview as an employee will see it.
  screens['campaigns/new'] = async function () {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    const steps = [];
    const state = { languages: ['en', 'fr'] };
    const inputs = {};
    const text = (name, type, attributes) => (inputs[name] = h('input', Object.assign({ type: type || 'text', id: 'campaign-' + name, autocomplete: (type || 'text') === 'text' ? 'off' : null }, attributes || {})));

    const languagesBox = h('div', { id: 'campaign-languages' });
    function drawLanguages() {
      languagesBox.replaceChildren(...state.languages.map((tag, index) => h('fieldset', {},
        h('legend', {}, t('wizard.language', { tag })),
        field('wizard.titleIn', text('title-' + tag, 'text', { lang: tag, required: true })),
        field('wizard.pledgeIn', (inputs['pledge-' + tag] = h('textarea', { id: 'campaign-pledge-' + tag, lang: tag, rows: 3, required: true }))),
        index > 0 ? h('button', { type: 'button', class: 'secondary small', onclick: () => {
          keepTexts(); state.languages.splice(index, 1); drawLanguages(); restoreTexts();
          inputs['title-' + state.languages[index - 1]].focus();  // the language before: its fieldset is still there
        } }, t('wizard.removeLanguage')) : null)));
    }
    const newLanguage = h('input', { type: 'text', id: 'campaign-new-language', maxlength: 8, class: 'short', autocomplete: 'off' });
    drawLanguages();
    steps.push(h('fieldset', { 'data-step': 'texts' }, h('legend', {}, t('wizard.step.texts')), languagesBox,
      h('div', { class: 'row' }, field('wizard.addLanguage', newLanguage, 'wizard.addLanguageHint'),
        h('button', { type: 'button', class: 'secondary', id: 'campaign-add-language', onclick: () => {
          // The tag in its conventional case (pt-BR, zh-Hans), as the service stores it.
          let tag = '';
          try { tag = newLanguage.value.trim() ? Intl.getCanonicalLocales(newLanguage.value.trim())[0] : ''; } catch (e) {
            newLanguage.setCustomValidity(t('wizard.languageInvalid'));
            newLanguage.reportValidity();
            return;
          }
          newLanguage.setCustomValidity('');
          if (tag && !state.languages.some((known) => known.toLowerCase() === tag.toLowerCase())) {
            keepTexts(); state.languages.push(tag); drawLanguages(); restoreTexts();
          }
          newLanguage.value = '';
        } }, t('wizard.add')))));

    const saved = {};
    function keepTexts() { for (const [name, input] of Object.entries(inputs)) saved[name] = input.value; }
    function restoreTexts() { for (const [name, value] of Object.entries(saved)) if (inputs[name]) inputs[name].value = value; }

    steps.push(h('fieldset', { 'data-step': 'basics' }, h('legend', {}, t('wizard.step.basics')),
      field('wizard.slug', text('slug', 'text', { required: true, pattern: '[a-z0-9\\-]+' }), 'wizard.slugHint'),
      field('wizard.hashtag', text('hashtag', 'text', { required: true }), 'wizard.hashtagHint'),
      h('div', { class: 'row' }, field('wizard.starts', text('starts', 'date', { required: true })), field('wizard.ends', text('ends', 'date', { required: true })))));

    const genders = ['female', 'male', 'non_binary', 'undisclosed'].map((gender) => h('label', { class: 'check' },
      (inputs['gender-' + gender] = h('input', { type: 'checkbox', value: gender })), ' ' + t('gender.' + gender)));
    steps.push(h('fieldset', { 'data-step': 'audience' }, h('legend', {}, t('wizard.step.audience')),
      h('p', { class: 'hint' }, t('wizard.audienceHint')),
      h('fieldset', { class: 'inline' }, h('legend', {}, t('wizard.genders')), genders),
      field('wizard.countries', text('countries'), 'wizard.countriesHint'),
      field('wizard.orgUnits', text('org-units'), 'wizard.orgUnitsHint')));

    const goalsBox = h('div', { id: 'country-goals' });
    let goalCount = 0;
    function addGoalRow() {
      const index = ++goalCount;
      goalsBox.append(h('div', { class: 'row goal-row' },
        field('wizard.goalCountry', h('input', { type: 'text', id: 'goal-country-' + index, maxlength: 2, class: 'short', 'data-goal': 'country', autocomplete: 'off' })),
        field('wizard.goalKind', h('select', { id: 'goal-kind-' + index, 'data-goal': 'kind' },
          h('option', { value: 'signatures' }, t('wizard.goalSignatures')), h('option', { value: 'participation' }, t('wizard.goalParticipation')))),
        field('wizard.goalValue', h('input', { type: 'number', id: 'goal-value-' + index, min: 0, step: 'any', 'data-goal': 'value' }), 'wizard.goalValueHint')));
    }
    addGoalRow();
    steps.push(h('fieldset', { 'data-step': 'goals' }, h('legend', {}, t('wizard.step.goals')),
      field('wizard.goalTotal', text('goal-signatures', 'number', { min: 0 })),
      field('wizard.goalRate', text('goal-participation', 'number', { min: 0, max: 100, step: 'any' }), 'wizard.goalRateHint'),
      goalsBox, h('button', { type: 'button', class: 'secondary', onclick: addGoalRow }, t('wizard.addGoal')),
      field('wizard.successRule', text('success', 'number', { min: 0 }), 'wizard.successRuleHint')));

    const preview = h('div', { id: 'campaign-preview' });
    steps.push(h('fieldset', { 'data-step': 'preview' }, h('legend', {}, t('wizard.step.preview')), preview));

    function list(name) { return (inputs[name].value || '').split(',').map((item) => item.trim()).filter(Boolean); }
    function draft() {
      keepTexts();
      const title = {};
      const pledge = {};
      for (const tag of state.languages) {
        if (saved['title-' + tag]) title[tag] = saved['title-' + tag];
        if (saved['pledge-' + tag]) pledge[tag] = saved['pledge-' + tag];
      }
      const body = {
        slug: inputs.slug.value.trim(), hashtag: inputs.hashtag.value.trim(), default_language: state.languages[0],
        title, pledge_text: pledge,
        starts_at: inputs.starts.value, ends_at: inputs.ends.value,
        audience: {
          genders: ['female', 'male', 'non_binary', 'undisclosed'].filter((gender) => inputs['gender-' + gender].checked),
          countries: list('countries').map((code) => code.toUpperCase()), org_units: list('org-units'),
        },
        country_goals: {},
      };
      if (inputs['goal-signatures'].value) body.goal_signatures = Number(inputs['goal-signatures'].value);
      if (inputs['goal-participation'].value) body.goal_participation = Number(inputs['goal-participation'].value) / 100;
      if (inputs.success.value) body.success_min_countries = Number(inputs.success.value);
      for (const row of goalsBox.querySelectorAll('.goal-row')) {
        const code = row.querySelector('[data-goal=country]').value.trim().toUpperCase();
        const value = row.querySelector('[data-goal=value]').value;
        if (!code || value === '') continue;
        const kind = row.querySelector('[data-goal=kind]').value;
        body.country_goals[code] = kind === 'signatures' ? { signatures: Number(value) } : { participation: Number(value) / 100 };
      }
      return body;
    }

    function drawPreview() {
      const body = draft();
      preview.replaceChildren(h('p', { class: 'hint' }, t('wizard.previewIntro')),
        ...state.languages.map((tag) => h('article', { class: 'preview-card', lang: tag },
          h('p', { class: 'muted small' }, t('wizard.language', { tag })),
          h('h2', {}, body.title[tag] || body.title[body.default_language] || '–'),
          h('p', { class: 'hashtag' }, body.hashtag),
          h('blockquote', {}, body.pledge_text[tag] || body.pledge_text[body.default_language] || '–'),
          h('p', { class: 'muted small' }, t('wizard.previewDates', { starts: body.starts_at || '–', ends: body.ends_at || '–' })),
          h('button', { type: 'button', disabled: true }, t('wizard.previewSign')))),
        h('p', {}, t('wizard.previewGoals', { goals: Object.keys(body.country_goals).join(', ') || t('common.none') })));
    }

    let current = 0;
    const back = h('button', { type: 'button', class: 'secondary', id: 'wizard-back' }, t('common.back'));
    const next = h('button', { type: 'button', id: 'wizard-next' }, t('common.next'));
    const create = h('button', { type: 'submit', id: 'wizard-create' }, t('wizard.create'));
    const stepStatus = h('p', { class: 'muted', id: 'wizard-step' });
    function show(index) {
      current = Math.max(0, Math.min(index, steps.length - 1));
      index = current;
      steps.forEach((step, position) => { step.hidden = position !== index; });
      back.hidden = index === 0;
      next.hidden = index === steps.length - 1;
      create.hidden = index !== steps.length - 1;
      stepStatus.textContent = t('wizard.stepOf', { step: index + 1, steps: steps.length });
      if (index === steps.length - 1) drawPreview();
      const first = steps[index].querySelector('input, textarea, select');
      if (first) first.focus();
    }
    back.addEventListener('click', () => show(current - 1));
    next.addEventListener('click', forward);
    function forward() {
      // The end after the start, said on the step that has the dates rather than at the end.
      const ends = inputs.ends;
      if (ends) ends.setCustomValidity(inputs.starts.value && ends.value && ends.value <= inputs.starts.value ? I.t('error.invalid_dates') : '');
      const invalid = Array.from(steps[current].querySelectorAll('input, textarea, select')).find((input) => !input.checkValidity());
      if (invalid) { invalid.reportValidity(); return; }
      show(current + 1);
    }
    const form = h('form', { class: 'card wizard', novalidate: true, onsubmit: guarded(async () => {
      // Enter in a field of an earlier step moves on; only the last step creates.
      if (current < steps.length - 1) { forward(); return; }
      const created = await api('POST', '/v1/campaigns', { json: draft() });
      say('wizard.created', { title: title(created) });
      keepStatus = true;
      location.hash = '#campaigns';
    }) }, stepStatus, steps, h('div', { class: 'buttons' }, back, next, create));
    draw(nav, 'wizard.title', h('p', {}, t('wizard.intro')), form);
    show(0);
  };

  // Moderation: a campaign's lists, several stories at once, the photo as colleagues will see it.
  screens.moderation = async function (selected, listName) {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    const list = await campaigns();
    if (!list.length) { draw(nav, 'moderation.title', h('p', {}, t('common.noCampaigns'))); return; }
    const slug = selected || shownFirst(list).slug;
    const which = listName || 'queue';
    const page = await api('GET', '/v1/campaigns/' + encodeURIComponent(slug) + '/posts?status=' + which + '&limit=50');
    const listSelect = h('select', { id: 'moderation-list', onchange: (event) => guarded(() => screens.moderation(slug, event.target.value))() },
      ['queue', 'pending', 'hidden', 'approved', 'rejected'].map((name) => h('option', { value: name, selected: name === which }, t('moderation.list.' + name))));
    const reason = h('input', { type: 'text', id: 'moderation-reason', autocomplete: 'off' });
    const boxes = [];
    const posts = page.posts.map((post) => {
      const box = h('input', { type: 'checkbox', value: post.id, id: 'post-' + post.id });
      boxes.push(box);
      let media = null;
      if (post.media) {
        media = post.media.type.startsWith('video/')
          ? h('video', { src: post.media.url, controls: true, preload: 'metadata', class: 'story-media' })
          : h('img', { src: post.media.url, alt: t('moderation.photoAlt', { author: post.author }), class: 'story-media' });
      }
      return h('li', { class: 'story', 'data-post': post.id },
        h('div', { class: 'story-head' }, box, h('label', { for: box.id }, t('moderation.storyBy', { author: post.author, when: when(post.created_at) }))),
        h('p', { class: 'story-body' }, post.body), media,
        post.hidden ? h('p', { class: 'warning' }, t('moderation.hiddenByReports')) : null,
        post.moderation_reason ? h('p', { class: 'muted' }, t('moderation.reason', { reason: post.moderation_reason })) : null);
    });
    async function decide(decision) {
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      if (!chosen.length) throw new APIError(400, 'nothing_selected', t('moderation.noneSelected'));
      if (decision === 'reject' && !reason.value.trim()) { reason.focus(); throw new APIError(400, 'reason_required', t('moderation.reasonRequired')); }
      for (const id of chosen) {
        await api('POST', '/v1/posts/' + id + '/' + decision, decision === 'reject' ? { json: { reason: reason.value.trim() } } : undefined);
      }
      await screens.moderation(slug, which);
      say('moderation.done.' + decision, { count: chosen.length });
    }
    draw(nav, 'moderation.title',
      h('div', { class: 'row' }, campaignSelect(list, slug, (value) => guarded(() => screens.moderation(value, which))()), field('moderation.list', listSelect)),
      h('section', { class: 'card', 'aria-labelledby': 'stories-heading' },
        h('h2', { id: 'stories-heading' }, t('moderation.stories', { count: page.posts.length })),
        posts.length ? h('ul', { class: 'stories' }, posts) : h('p', { class: 'muted' }, t('moderation.empty')),
        posts.length ? h('div', { class: 'decide' }, field('moderation.reasonLabel', reason, 'moderation.reasonHint'),
          h('div', { class: 'buttons' },
            h('button', { type: 'button', id: 'approve-selected', onclick: guarded(() => decide('approve')) }, t('moderation.approve')),
            h('button', { type: 'button', class: 'danger', id: 'reject-selected', onclick: guarded(() => decide('reject')) }, t('moderation.reject')))) : null));
  };

  // Events: the list with RSVP counts, a new event, and the check-in screen for the door.
  screens.events = async function (selected) {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    const list = await campaigns();
    if (!list.length) { draw(nav, 'events.title', h('p', {}, t('common.noCampaigns'))); return; }
    const slug = selected || shownFirst(list).slug;
    const page = await api('GET', '/v1/campaigns/' + encodeURIComponent(slug) + '/events?upcoming=false&limit=200');
    const rows = page.events.map((event) => h('tr', { 'data-event': event.id },
      cell(event.title), cell(t('kind.' + event.kind)), cell(event.city ? event.city + ', ' + event.country : event.country), cell(localWhen(event.starts_at)),
      numberCell(event.capacity), numberCell(event.going, 'event-going-' + event.id), numberCell(event.waiting, 'event-waiting-' + event.id),
      numberCell(event.checked_in, 'event-checked-in-' + event.id),
      h('td', {}, h('a', { href: '#check-in/' + event.id, class: 'button small' }, t('events.checkIn')))));
    const inputs = {};
    const input = (name, type, attributes) => (inputs[name] = h('input', Object.assign({ type: type || 'text', id: 'event-' + name, autocomplete: (type || 'text') === 'text' ? 'off' : null }, attributes || {})));
    const kind = h('select', { id: 'event-kind' }, ['city', 'village', 'online', 'site'].map((value) => h('option', { value }, t('kind.' + value))));
    const form = h('form', { class: 'card', 'aria-labelledby': 'new-event-heading', onsubmit: guarded(async () => {
      const body = {
        title: inputs.title.value.trim(), kind: kind.value, country: inputs.country.value.trim().toUpperCase(),
        starts_at: new Date(inputs.starts.value).toISOString(), ends_at: new Date(inputs.ends.value).toISOString(), host: inputs.host.value.trim(),
      };
      if (inputs.city.value.trim()) body.city = inputs.city.value.trim();
      if (inputs.capacity.value) body.capacity = Number(inputs.capacity.value);
      await api('POST', '/v1/campaigns/' + encodeURIComponent(slug) + '/events', { json: body });
      say('events.created', { title: body.title });
      await screens.events(slug);
    }) },
      h('h2', { id: 'new-event-heading' }, t('events.new')),
      field('events.eventTitle', input('title', 'text', { required: true })), field('events.kind', kind),
      h('div', { class: 'row' }, field('common.country', input('country', 'text', { required: true, maxlength: 2, class: 'short' })), field('events.city', input('city'), 'events.cityHint')),
      h('div', { class: 'row' }, field('events.starts', input('starts', 'datetime-local', { required: true })), field('events.ends', input('ends', 'datetime-local', { required: true }))),
      h('p', { class: 'hint', id: 'events-zone' }, t('events.localTime', { zone: Intl.DateTimeFormat().resolvedOptions().timeZone })),
      h('div', { class: 'row' }, field('events.capacity', input('capacity', 'number', { min: 1 }), 'events.capacityHint'), field('events.host', input('host', 'text', { required: true }), 'events.hostHint')),
      h('button', { type: 'submit' }, t('events.create')));
    draw(nav, 'events.title', campaignSelect(list, slug, (value) => guarded(() => screens.events(value))()),
      h('section', { class: 'card' }, table('events.caption', ['events.eventTitle', 'events.kind', 'events.place', 'events.starts', 'events.capacity', 'events.going', 'events.waiting', 'events.checkedIn', 'common.actions'], rows, [4, 5, 6, 7])),
      form);
  };

  // The check-in screen for the door: large, one column, find a person by id or name, one tap.
  screens['check-in'] = async function (eventID) {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    const query = h('input', { type: 'search', id: 'check-in-query', class: 'big' });
    const results = h('ul', { class: 'check-in-results', id: 'check-in-results' });
    const outcome = h('p', { class: 'check-in-outcome', role: 'status', 'aria-live': 'polite', id: 'check-in-outcome' });
    async function checkIn(externalID, name) {
      const answer = await api('POST', '/v1/events/' + eventID + '/check-ins', { json: { external_ids: [externalID] } });
      let key = 'checkIn.done';
      if (answer.already_checked_in) key = 'checkIn.already';
      else if (answer.walk_ins) key = 'checkIn.walkIn';
      else if (answer.full) key = 'checkIn.full';
      else if (!answer.checked_in) key = 'checkIn.refused';
      outcome.textContent = t(key, { name: name || externalID });
      query.value = '';
      results.replaceChildren();
      query.focus();
    }
    const form = h('form', { role: 'search', onsubmit: guarded(async () => {
      const text = query.value.trim();
      if (!text) return;
      const page = await api('GET', '/v1/employees?limit=10&q=' + encodeURIComponent(text));
      const people = page.employees.filter((employee) => employee.active);
      results.replaceChildren(...people.map((employee) => h('li', {}, h('button', { type: 'button', class: 'big', 'data-person': employee.external_id,
        onclick: guarded(() => checkIn(employee.external_id, employee.display_name)) },
        t('checkIn.person', { name: employee.display_name || employee.external_id, id: employee.external_id, country: employee.country })))));
      if (!people.length) outcome.textContent = t('checkIn.nobody', { query: text });
    }) }, field('checkIn.find', query, 'checkIn.findHint'), h('button', { type: 'submit', class: 'big' }, t('checkIn.search')));
    draw(nav, 'checkIn.title', h('p', {}, h('a', { href: '#events' }, t('checkIn.back'))), h('section', { class: 'card door' }, form, outcome, results));
    query.focus();
  };

  // Paper and posters (issue 23's API): a campaign's poster and QR code to download, paper sheets
  // typed in twice by two people (double entry), what their entries disagree on and the decision
  // that settles it, and the tally of what the sheets counted.
  screens.paper = async function (selected) {
    const nav = navigation;
    const list = await campaigns();
    if (!list.length) { draw(nav, 'paper.title', h('p', {}, t('common.noCampaigns'))); return; }
    const slug = selected || shownFirst(list).slug;
    const campaign = list.find((item) => item.slug === slug) || list[0];
    const base = '/v1/campaigns/' + encodeURIComponent(campaign.slug);
    const [events, page, tally] = await Promise.all([
      api('GET', base + '/events?upcoming=false&limit=200'), api('GET', base + '/paper-batches?limit=200'), api('GET', base + '/paper-tally')]);
    const eventTitle = (id) => { const found = events.events.find((event) => event.id === id); return found ? found.title : id; };
    const eventSelect = (id) => h('select', { id }, h('option', { value: '' }, t('paper.noEvent')),
      events.events.map((event) => h('option', { value: event.id }, event.title + ' (' + day(event.starts_at) + ')')));
    const statusNames = { pending: t('paper.status.pending'), disputed: t('paper.status.disputed'), confirmed: t('paper.status.confirmed') };
    const fieldNames = { channel: t('paper.field.channel'), event_id: t('paper.field.event'), signed_at: t('paper.field.signedAt'), unidentified: t('paper.field.unidentified') };
    const enteredKeys = { pending: 'paper.entered.pending', disputed: 'paper.entered.disputed', confirmed: 'paper.entered.confirmed' };

    // Posters and QR codes: plain links (the session cookie reads them), rebuilt as the choices change.
    const site = h('input', { type: 'text', id: 'poster-site', maxlength: 200, autocomplete: 'off' });
    const posterEvent = eventSelect('poster-event');
    const language = h('select', { id: 'poster-language' }, I.LANGUAGES.map(([tag, name]) =>
      h('option', { value: tag, lang: tag, selected: tag === (campaign.default_language || 'en') }, name)));
    const posterLink = h('a', { class: 'button', id: 'poster-download', download: 'poster-' + campaign.slug + '.svg' }, t('paper.downloadPoster'));
    const qrLink = h('a', { class: 'button secondary', id: 'qr-download', download: 'qr-' + campaign.slug + '.svg' }, t('paper.downloadQR'));
    function links() {
      // Encoded as a path's query (a space as %20), not as a form (URLSearchParams writes a space as
      // '+', which the API reads as a plus: "Lyon+canteen" on the poster).
      const query = [];
      if (site.value.trim()) query.push('site=' + encodeURIComponent(site.value.trim()));
      if (posterEvent.value) query.push('event=' + encodeURIComponent(posterEvent.value));
      query.push('language=' + encodeURIComponent(language.value));
      posterLink.setAttribute('href', base + '/poster?' + query.join('&'));
      qrLink.setAttribute('href', base + '/qr' + (posterEvent.value ? '?event=' + encodeURIComponent(posterEvent.value) : ''));
    }
    for (const control of [site, posterEvent, language]) { control.addEventListener('input', links); control.addEventListener('change', links); }
    links();
    const printable = campaign.status === 'draft' || campaign.status === 'active';
    const posters = h('section', { class: 'card', 'aria-labelledby': 'posters-heading' },
      h('h2', { id: 'posters-heading' }, t('paper.posters')),
      printable ? [h('p', {}, t('paper.postersIntro')),
        h('div', { class: 'row' }, field('paper.site', site, 'paper.siteHint'), field('paper.event', posterEvent), field('paper.language', language)),
        h('div', { class: 'buttons' }, posterLink, qrLink)] : h('p', {}, t('paper.postersClosed')));

    // One person's typing of a sheet; the second person types the same sheet under the same name.
    const reference = h('input', { type: 'text', id: 'paper-reference', maxlength: 100, required: true, autocomplete: 'off' });
    const entryEvent = eventSelect('paper-event');
    const signedOn = h('input', { type: 'date', id: 'paper-signed-on' });
    const ids = h('textarea', { id: 'paper-ids', rows: 5, autocomplete: 'off', spellcheck: 'false' });
    // Empty with a placeholder, not pre-filled: a 2 typed after a pre-filled 0 gave 20.
    const unidentified = h('input', { type: 'number', id: 'paper-unidentified', min: 0, max: 10000, placeholder: '0', class: 'short' });
    const entry = campaign.status !== 'active' ? h('section', { class: 'card' }, h('h2', {}, t('paper.entry')), h('p', {}, t('paper.entryClosed')))
      : h('form', { class: 'card', 'aria-labelledby': 'paper-entry-heading', onsubmit: guarded(async () => {
        if (!reference.value.trim()) { reference.focus(); throw new APIError(400, 'missing_fields', t('paper.referenceMissing')); }
        const body = {
          reference: reference.value.trim(), external_ids: ids.value.split(/[\s,;]+/).filter(Boolean), unidentified: Number(unidentified.value || 0),
        };
        if (entryEvent.value) body.event_id = entryEvent.value;
        if (signedOn.value) body.signed_at = signedOn.value;
        const batch = await api('POST', base + '/paper-batches', { json: body });
        await screens.paper(campaign.slug);
        say(enteredKeys[batch.status], { reference: batch.reference });
      }) },
      h('h2', { id: 'paper-entry-heading' }, t('paper.entry')), h('p', {}, t('paper.entryIntro')),
      h('div', { class: 'row' }, field('paper.reference', reference, 'paper.referenceHint'), field('paper.event', entryEvent), field('paper.signedOn', signedOn, 'paper.signedOnHint')),
      field('paper.ids', ids, 'paper.idsHint'), field('paper.unidentified', unidentified, 'paper.unidentifiedHint'),
      h('button', { type: 'submit', id: 'paper-enter' }, t('paper.enter')));

    // The batches: their entries, what these disagree on, and the decision for a disputed one.
    const decideArea = h('div', { id: 'paper-decide' });
    const rows = page.batches.map((batch) => {
      const who = (entryRow) => t('paper.entrySummary', { who: entryRow.entered_by, ids: number(entryRow.external_ids.length), unidentified: number(entryRow.unidentified) })
        + (entryRow.event_id ? ' · ' + eventTitle(entryRow.event_id) : '') + (entryRow.signed_at ? ' · ' + day(entryRow.signed_at) : '');
      const differences = [];
      if (batch.discrepancies.external_ids.length) differences.push(h('p', {}, t('paper.differenceIds', { ids: batch.discrepancies.external_ids.join(', ') })));
      if (batch.discrepancies.fields.length) differences.push(h('p', {}, t('paper.differenceFields', { fields: batch.discrepancies.fields.map((name) => fieldNames[name] || name).join(', ') })));
      const decide = batch.status === 'disputed' ? batch.entries.map((entryRow) => h('button', { type: 'button', class: 'secondary small', 'data-entry': entryRow.id,
        onclick: guarded(() => confirmStep(decideArea, 'paper.decideConfirm', { reference: batch.reference, who: entryRow.entered_by }, 'paper.decideButton', async () => {
          await api('POST', base + '/paper-batches/' + encodeURIComponent(batch.reference) + '/decision', { json: { entry_id: entryRow.id } });
          await screens.paper(campaign.slug);
          say('paper.decided', { reference: batch.reference });
        })) }, t('paper.decide', { who: entryRow.entered_by }))) : [];
      const outcome = batch.outcome ? h('p', { class: 'muted' }, t('paper.outcome', { signed: number(batch.outcome.signed), already: number(batch.outcome.already_signed),
        refused: number(batch.outcome.refused.length), anonymous: number(batch.outcome.anonymous) })) : null;
      // Who was refused, so that HR can follow up (the count alone named no one).
      const refusedIDs = batch.outcome && batch.outcome.refused.length
        ? h('p', { class: 'muted', 'data-refused': batch.reference }, t('paper.refusedIDs', { ids: batch.outcome.refused.join(', ') })) : null;
      return h('tr', { 'data-batch': batch.reference, 'data-status': batch.status }, cell(batch.reference), cell(statusNames[batch.status] || batch.status),
        h('td', {}, h('ul', { class: 'plain' }, batch.entries.map((entryRow) => h('li', {}, who(entryRow))))),
        h('td', {}, differences.length ? differences : (batch.entries.length < 2 ? t('paper.waitingSecond') : t('paper.noDifference')), outcome, refusedIDs),
        h('td', { class: 'buttons' }, decide));
    });

    const tallyFigures = [['paper.signed', 'signed'], ['paper.alreadySigned', 'already_signed'], ['paper.refused', 'refused'], ['paper.anonymous', 'anonymous'],
      ['paper.confirmed', 'confirmed'], ['paper.pending', 'pending'], ['paper.disputed', 'disputed']];
    draw(nav, 'paper.title',
      campaignSelect(list, campaign.slug, (value) => guarded(() => screens.paper(value))()),
      posters, entry,
      h('section', { class: 'card', 'aria-labelledby': 'paper-batches-heading' },
        h('h2', { id: 'paper-batches-heading' }, t('paper.batches')),
        table('paper.batchesCaption', ['paper.reference', 'paper.state', 'paper.entries', 'paper.differences', 'common.actions'], rows), decideArea),
      h('section', { class: 'card', 'aria-labelledby': 'paper-tally-heading' },
        h('h2', { id: 'paper-tally-heading' }, t('paper.tally')), h('p', {}, t('paper.tallyIntro')),
        h('ul', { class: 'counts' }, tallyFigures.map(([key, name]) => h('li', {}, h('span', {}, t(key)), h('strong', { 'data-figure': 'paper-' + name }, number(tally[name])))))));
  };

  // The audit log (filters, older pages) and the counts' verification.
  screens.audit = async function () {
    const nav = navigation;  // the navigation this drawing belongs to (see route)
    // Every family of actions the service records (grep 'action: "' in Sources).
    const families = ['', 'employees.', 'employee.', 'workforce.', 'campaign.', 'post.', 'event.', 'paper.', 'reminder.', 'webhook.', 'sso.',
      'scim_token.', 'organisation.'];
    const action = h('select', { id: 'audit-action' }, families.map((value) =>
      h('option', { value }, value ? value.replace(/\.$/, '') : t('audit.allActions'))));
    const actor = h('input', { type: 'text', id: 'audit-actor', autocomplete: 'off' });
    const results = h('div', { id: 'audit-results' });
    let pages = [];
    async function load(cursor) {
      let path = '/v1/audit?limit=50';
      if (action.value) path += '&action=' + encodeURIComponent(action.value);
      if (actor.value.trim()) path += '&actor=' + encodeURIComponent(actor.value.trim());
      if (cursor) path += '&cursor=' + encodeURIComponent(cursor);
      const page = await api('GET', path);
      const rows = page.entries.map((entry) => h('tr', {}, cell(when(entry.at)), cell(entry.actor), cell(entry.action), cell(entry.subject || '–'),
        cell(Object.entries(entry.details).map(([key, value]) => key + ': ' + value).join(', '))));
      results.replaceChildren(table('audit.caption', ['common.when', 'common.who', 'audit.action', 'audit.subject', 'audit.details'], rows),
        h('div', { class: 'buttons' },
          pages.length ? h('button', { type: 'button', class: 'secondary', onclick: guarded(() => { pages.pop(); return load(pages[pages.length - 1]); }) }, t('audit.newer')) : null,
          page.next_cursor ? h('button', { type: 'button', class: 'secondary', id: 'audit-older', onclick: guarded(() => { pages.push(page.next_cursor); return load(page.next_cursor); }) }, t('audit.older')) : null));
    }
    const list = await campaigns();
    const verifyOutcome = h('div', { id: 'verify-outcome', 'aria-live': 'polite' });
    let verifySlug = list.length ? list[0].slug : null;
    draw(nav, 'audit.title',
      h('form', { class: 'card', onsubmit: guarded(() => { pages = []; return load(null); }) },
        h('h2', {}, t('audit.filters')), h('div', { class: 'row' }, field('audit.action', action), field('audit.actor', actor, 'audit.actorHint')),
        h('button', { type: 'submit' }, t('audit.apply'))),
      h('section', { class: 'card' }, results),
      h('section', { class: 'card', 'aria-labelledby': 'verify-heading' },
        h('h2', { id: 'verify-heading' }, t('verify.title')), h('p', {}, t('verify.intro')),
        list.length ? campaignSelect(list, verifySlug, (value) => { verifySlug = value; }) : h('p', {}, t('common.noCampaigns')),
        list.length ? h('button', { type: 'button', id: 'verify-run', onclick: guarded(async () => {
          const answer = await api('GET', '/v1/campaigns/' + encodeURIComponent(verifySlug) + '/counts/verify');
          verifyOutcome.replaceChildren(answer.consistent
            ? h('p', { class: 'good', 'data-figure': 'verify-consistent' }, t('verify.consistent'))
            : h('div', {}, h('p', { class: 'warning' }, t('verify.inconsistent', { count: answer.differences.length })),
              table('verify.caption', ['verify.table', 'common.country', 'verify.day', 'verify.counted', 'verify.actual'],
                answer.differences.map((row) => h('tr', {}, cell(row.table), cell(row.country), cell(row.day || '–'), numberCell(row.counted), numberCell(row.actual)))),
              h('p', {}, t('verify.whatToDo'))));
        }) }, t('verify.run')) : null,
        verifyOutcome));
    await load(null);
  };

  // ---- Routing and start -------------------------------------------------------------------

  async function route() {
    const nav = ++navigation;
    stopTimers();
    importState.watchers.clear();  // the screen that watched the import is gone
    clearError();
    if (!keepStatus) statusRegion.textContent = '';
    keepStatus = false;
    const hash = location.hash.replace(/^#/, '') || 'overview';
    const [name, argument] = hash.startsWith('check-in/') ? ['check-in', hash.slice('check-in/'.length)] : [hash, undefined];
    const show = screens[name] || screens.overview;
    for (const link of document.querySelectorAll('#nav a')) {
      if (link.getAttribute('href') === '#' + name.split('/')[0]) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    main.setAttribute('aria-busy', 'true');
    try {
      await show(argument);
    } catch (error) {
      if (nav !== navigation) {
        // An older screen, given up for a newer one: it leaves the page to the newer one. (The
        // count is for the browser test, which waits for it.)
        main.setAttribute('data-superseded', String(Number(main.getAttribute('data-superseded') || 0) + 1));
        return;
      }
      screen('error.screen');
      showError(error);
    }
    if (nav !== navigation) return;
    main.removeAttribute('aria-busy');
    main.setAttribute('data-screen', name);
  }

  // The page's fixed texts in the current language ([data-msg]: a console key; [data-i18n]: a shared one).
  function applyTexts() {
    makeFormats();
    for (const element of document.querySelectorAll('[data-msg]')) element.textContent = t(element.getAttribute('data-msg'));
    I.apply();
    if (session) document.getElementById('signed-in-as').textContent = t('nav.signedInAs', { subject: session.subject });
  }

  async function start() {
    await I.load(I.choose());
    applyTexts();
    // The language switcher: the choice is kept in this browser (the API has no per-person
    // language); the screen shown is drawn again in the new language.
    I.fillSwitcher(document.getElementById('language'), () => {
      applyTexts();
      keepStatus = false;
      if (session && session.roles.includes('hr_admin')) route();
    });
    try {
      session = await api('GET', '/v1/session');
    } catch (error) {
      screen('signIn.title', h('p', {}, t('signIn.needed')), h('p', {}, h('a', { href: '/admin/sign-in', class: 'button' }, t('signIn.open'))));
      return;
    }
    if (!session.roles.includes('hr_admin')) {
      screen('signIn.title', h('p', {}, t('signIn.notHR', { subject: session.subject })));
      return;
    }
    const me = await api('GET', '/v1/me').catch(() => null);
    document.getElementById('organisation').textContent = me ? me.organisation.name : session.organisation;
    document.getElementById('signed-in-as').textContent = t('nav.signedInAs', { subject: session.subject });
    const signOut = document.getElementById('sign-out');
    signOut.hidden = false;
    signOut.addEventListener('click', guarded(async () => {
      await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin' });
      location.replace('/admin/sign-in');
    }));
    document.getElementById('nav').hidden = false;
    // The link of the screen shown draws it again (fresh figures): no hashchange happens then.
    for (const link of document.querySelectorAll('#nav a')) {
      link.addEventListener('click', (event) => {
        if (link.getAttribute('href') === location.hash) { event.preventDefault(); route(); }
      });
    }
    window.addEventListener('hashchange', route);
    // The organisation's latest import (a reload, another tab): followed or its end shown.
    await latestImport().catch(showError);
    await route();
  }

  start().catch(showError);
})();
