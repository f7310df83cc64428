// The leadership dashboard. Plain JavaScript, no framework, no build step, nothing from another
// origin. Every number comes from the JSON API with the session cookie, so the rankings' privacy
// rule (leaders never see a figure covering fewer than k employees) applies to all of them.
// Every sentence comes from the message catalogues (MobiliseI18n, /assets/i18n.js: 'dashboard.*'),
// numbers, dates and country names through Intl in the page's language.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(window.location.search);
  const state = {
    campaign: null, campaigns: [], ranking: null, timeline: null, world: null,
    sort: { key: 'rank', descending: false }, shownRows: [], mapMetric: 'participation', source: null, live: null,
  };

  // ---------- language and formatting ----------
  const I = window.MobiliseI18n;
  const D = (key, params) => I.t('dashboard.' + key, params);
  const fmtInt = (n) => (n === null || n === undefined ? '–' : new Intl.NumberFormat(I.language, { maximumFractionDigits: 0 }).format(n));
  const fmtPct = (x, digits = 1) => (x === null || x === undefined ? '–'
    : new Intl.NumberFormat(I.language, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x));
  const fmtRate = (x) => new Intl.NumberFormat(I.language, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(x);
  const fmtDate = (iso) => new Date(iso).toLocaleDateString(I.language, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const fmtWeek = (iso) => new Date(iso).toLocaleDateString(I.language, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const fmtDateTime = (iso) => D('dateTimeUTC', { when: new Date(iso).toLocaleString(I.language, {
    weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'UTC',
  }) });
  // A country's name in the page's language (the API's English name when Intl has none).
  function countryName(code, fallback) {
    if (!code || code === 'other') return fallback;
    try { return new Intl.DisplayNames([I.language], { type: 'region' }).of(code) || fallback; } catch (e) { return fallback; }
  }
  const list = (items) => new Intl.ListFormat(I.language, { style: 'short', type: 'unit' }).format(items);

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = value; else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function svg(tag, attributes = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // ---------- API ----------
  class APIError extends Error {
    constructor(status, body) {
      super((body && body.error && body.error.message) || ('HTTP ' + status));
      this.status = status;
      this.code = body && body.error && body.error.code;
    }
  }

  async function api(path) {
    const response = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new APIError(response.status, body);
    return body;
  }

  const campaignPath = (suffix = '') => '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + suffix;

  function showMessage(html) {
    const box = $('message');
    box.replaceChildren(...html);
    box.hidden = false;
  }

  // ---------- headline ----------
  function renderHeadline(total) {
    const campaign = state.campaign;
    const hidden = !total || total.signatures === null || total.signatures === undefined;
    const signatures = hidden ? null : total.signatures;
    const eligible = hidden ? null : total.eligible;
    $('stat-signatures').textContent = hidden ? D('hidden') : fmtInt(signatures);
    $('stat-signatures').dataset.value = hidden ? '' : String(signatures);
    $('stat-signatures-note').textContent = hidden ? D('fewerThanK') : D('last7Days', { count: fmtInt(total.last_7_days) });
    $('stat-eligible').textContent = fmtInt(eligible);
    $('stat-eligible').dataset.value = hidden ? '' : String(eligible);
    $('stat-participation').textContent = hidden ? '–' : fmtPct(total.participation);
    $('stat-participation').dataset.value = hidden || total.participation === null ? '' : String(total.participation);

    let goal = null;
    if (campaign.goal_signatures) goal = campaign.goal_signatures;
    else if (campaign.goal_participation && eligible) goal = Math.ceil(campaign.goal_participation * eligible);
    const pace = $('pace-status');
    if (hidden || !goal) {
      $('stat-goal').textContent = hidden ? '–' : D('noGoal');
      $('stat-goal').dataset.value = '';
      $('goal-progress').value = 0;
      pace.textContent = hidden ? '' : D('pace', { rate: fmtRate(total.last_7_days / 7) });
      pace.className = 'note';
      return;
    }
    const progress = signatures / goal;
    $('stat-goal').textContent = D('ofGoal', { percent: fmtPct(progress, 0), goal: fmtInt(goal) });
    $('stat-goal').dataset.value = String(progress);
    $('goal-progress').value = Math.min(progress, 1);
    const asOf = new Date((state.live && state.live.as_of) || (state.ranking && state.ranking.as_of) || Date.now());
    const daysLeft = Math.max((new Date(campaign.ends_at) - asOf) / 86400000, 0);
    const current = total.last_7_days / 7;
    const missing = Math.max(goal - signatures, 0);
    if (missing === 0) {
      pace.textContent = D('goalReached');
      pace.className = 'note good';
    } else if (daysLeft <= 0) {
      pace.textContent = D('endedShort', { count: fmtInt(missing) });
      pace.className = 'note bad';
    } else {
      const needed = missing / daysLeft;
      const summary = D('paceSummary', { needed: fmtRate(needed), days: fmtInt(Math.ceil(daysLeft)), current: fmtRate(current) });
      if (current >= needed) {
        pace.textContent = D('onTrack', { summary });
        pace.className = 'note good';
      } else {
        pace.textContent = D('behind', { gap: fmtRate(needed - current), summary });
        pace.className = 'note bad';
      }
    }
  }

  // ---------- ranking table and CSV ----------
  const COLUMNS = [
    { key: 'rank', label: 'colRank', numeric: true },
    { key: 'country_name', label: 'colCountry' },
    { key: 'signatures', label: 'colSignatures', numeric: true, metric: 'signatures' },
    { key: 'eligible', label: 'colEligible', numeric: true },
    { key: 'participation', label: 'colParticipation', numeric: true, metric: 'participation' },
    { key: 'last_7_days', label: 'colLast7Days', numeric: true, metric: 'momentum' },
    { key: 'goal_progress', label: 'colGoalProgress', numeric: true, metric: 'goal_progress' },
  ];
  function sortedRows() {
    const rows = state.ranking.rows.slice();
    const { key, descending } = state.sort;
    const value = (row) => (key === 'participation' ? row.rate_lower_bound : row[key]);
    rows.sort((a, b) => {
      const x = value(a); const y = value(b);
      if (x === y) return a.rank - b.rank;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return descending ? -order : order;
    });
    return rows;
  }

  function cell(row, column) {
    const value = row[column.key];
    let text;
    switch (column.key) {
      case 'rank': text = value === undefined || value === null ? '' : String(value); break;
      case 'country_name': text = row.country === 'other' ? D('otherCountries') : countryName(row.country, value); break;
      case 'participation':
        text = value === null ? '–' : fmtPct(value) + ' (' + fmtPct(row.rate_lower_bound) + ')'; break;
      case 'goal_progress': text = value === null || value === undefined ? '–' : D('ofGoal', { percent: fmtPct(value, 0), goal: fmtInt(row.goal) }); break;
      default: text = fmtInt(value);
    }
    const attributes = { 'data-col': column.key, 'data-value': value === null || value === undefined ? '' : value, text,
      class: (column.numeric ? 'num ' : '') + 'col-' + column.key };
    if (column.key === 'country_name') {
      const node = el('td', { 'data-col': column.key, 'data-value': value, class: 'col-country_name' });
      if (row.country === 'other') node.textContent = text;
      else node.append(el('a', { href: countryHref(row.country), 'data-country': row.country, text }));
      return node;
    }
    return el('td', attributes);
  }

  function renderTable() {
    const head = $('ranking-head');
    // A metric's column asked the API for its ranking: the rows are in rank order, which is that
    // metric's, highest first, and that column is the one marked sorted.
    const marked = state.sort.column || state.sort.key;
    const descending = state.sort.column ? true : state.sort.descending;
    head.replaceChildren(...COLUMNS.map((column) => {
      const active = marked === column.key;
      const button = el('button', { type: 'button', 'data-sort': column.key, text: D(column.label) });
      button.addEventListener('click', () => sortBy(column));
      return el('th', { scope: 'col', class: (column.numeric ? 'num ' : '') + 'col-' + column.key,
        'aria-sort': active ? (descending ? 'descending' : 'ascending') : 'none' }, button);
    }));
    state.shownRows = sortedRows();
    const body = $('ranking-table').tBodies[0];
    const rows = state.shownRows.map((row) => el('tr', { 'data-country': row.country }, ...COLUMNS.map((c) => cell(row, c))));
    if (state.ranking.other) {
      rows.push(el('tr', { 'data-country': 'other', class: 'other' }, ...COLUMNS.map((c) => cell(state.ranking.other, c))));
    }
    body.replaceChildren(...rows);
    // One whole sentence per metric (never a translated noun put into a translated sentence).
    $('ranking-caption').textContent = D('caption.' + state.ranking.metric, { when: fmtDateTime(state.ranking.as_of) }) +
      (state.ranking.other ? ' ' + D('captionOther') : '');
  }

  async function sortBy(column) {
    const descending = state.sort.key === column.key ? !state.sort.descending : column.numeric && column.key !== 'rank';
    if (column.metric && column.metric !== state.ranking.metric) {
      // Ask the API for the ranking by this metric: its ranks (ties, lower bounds) are the reference.
      state.ranking = await api(campaignPath('/rankings?metric=' + column.metric));
      state.sort = { key: 'rank', descending: false, column: column.key };
      renderAll();
    } else {
      state.sort = { key: column.key, descending };
      renderTable();
    }
    // The header is drawn anew: the focus goes back to the column's button, where the keyboard was.
    const again = $('ranking-head').querySelector('button[data-sort="' + column.key + '"]');
    if (again) again.focus();
  }

  // The API's own CSV of the ranking shown (same metric, same instant), downloaded with the
  // session cookie: the page does not re-implement the CSV or the API's number formatting.
  function downloadCSV() {
    const query = '?metric=' + encodeURIComponent(state.ranking.metric) + '&as_of=' + encodeURIComponent(state.ranking.as_of);
    const link = el('a', { href: campaignPath('/rankings.csv' + query), download: state.campaign.slug + '-ranking.csv' });
    document.body.append(link);
    link.click();
    link.remove();
  }

  // ---------- map ----------
  const PALETTE = ['#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
  const MAP = { width: 1000, top: 84, bottom: -58 };
  const project = ([lon, lat]) => [((lon + 180) / 360) * MAP.width, ((MAP.top - lat) / 360) * MAP.width];

  function metricValue(row, metric) {
    switch (metric) {
      case 'signatures': return row.signatures;
      case 'momentum': return row.momentum;
      case 'goal_progress': return row.goal_progress;
      case 'participation': return row.participation;
      default: return row[metric] === undefined ? row.participation : row[metric];
    }
  }

  // The map's metrics are those the API ranks by (the rankings answer's `metrics`), not a list
  // of the page's own: a metric added to the domain appears here, under its name until the
  // catalogues have a label for it.
  const METRIC_LABELS = {
    participation: 'colParticipationShort', signatures: 'colSignatures', momentum: 'momentumOption', goal_progress: 'colGoalProgress',
  };
  function renderMetricOptions(metrics) {
    const select = $('metric-select');
    const options = (metrics || []).map((metric) => {
      const option = document.createElement('option');
      option.value = metric;
      if (METRIC_LABELS[metric]) option.dataset.i18n = 'dashboard.' + METRIC_LABELS[metric];
      option.textContent = METRIC_LABELS[metric] ? D(METRIC_LABELS[metric]) : metric.replace(/_/g, ' ');
      return option;
    });
    select.replaceChildren(...options);
    if (!options.length) return;
    if (!metrics.includes(state.mapMetric)) state.mapMetric = metrics[0];
    select.value = state.mapMetric;
  }

  function formatMetric(value, metric) {
    if (value === null || value === undefined) return '–';
    return metric === 'signatures' ? fmtInt(value) : fmtPct(value);
  }

  function classes(values) {
    const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
    if (!sorted.length) return [];
    const breaks = [];
    for (let i = 1; i < PALETTE.length; i += 1) breaks.push(sorted[Math.floor((i * sorted.length) / PALETTE.length)] ?? sorted[sorted.length - 1]);
    return breaks;
  }

  function colourFor(value, breaks) {
    if (value === null || value === undefined) return '#c9c9c9';
    let index = 0;
    while (index < breaks.length && value >= breaks[index]) index += 1;
    return PALETTE[Math.min(index, PALETTE.length - 1)];
  }

  function pathData(geometry) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    let d = '';
    for (const polygon of polygons) {
      for (const ring of polygon) {
        ring.forEach((point, index) => {
          const [x, y] = project(point);
          d += (index ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
        });
        d += 'Z';
      }
    }
    return d;
  }

  function renderMap() {
    if (!state.world) return;
    const metric = state.mapMetric;
    const rows = new Map(state.ranking.rows.map((row) => [row.country, row]));
    const breaks = classes(state.ranking.rows.map((row) => metricValue(row, metric)));
    const map = $('map');
    const height = ((MAP.top - MAP.bottom) / 360) * MAP.width;
    map.setAttribute('viewBox', '0 0 ' + MAP.width + ' ' + height.toFixed(0));
    const shapes = [];
    for (const feature of state.world.features) {
      const code = feature.properties.iso_a2;
      const name = countryName(code, feature.properties.name);
      const row = rows.get(code);
      const value = row ? metricValue(row, metric) : null;
      const label = row
        ? D('mapLabel', { name, value: formatMetric(value, metric), signatures: fmtInt(row.signatures), eligible: fmtInt(row.eligible) })
        : D('mapNotShown', { name });
      const shape = svg('path', {
        d: pathData(feature.geometry), fill: row ? colourFor(value, breaks) : '#ececec',
        class: row ? 'country shown' : 'country', 'data-country': code, 'aria-label': label,
        tabindex: row ? '0' : null, role: row ? 'link' : null,
      }, svg('title'));
      shape.firstChild.textContent = label;
      if (row) {
        shape.addEventListener('click', () => openCountry(code));
        shape.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); openCountry(code); }
        });
      }
      shapes.push(shape);
    }
    map.replaceChildren(svg('rect', { x: 0, y: 0, width: MAP.width, height: height.toFixed(0), class: 'sea' }), ...shapes);

    const legend = $('legend');
    const items = [];
    const bounds = [null, ...breaks, null];
    PALETTE.forEach((colour, index) => {
      if (!breaks.length && index > 0) return;
      const low = bounds[index]; const high = bounds[index + 1];
      let text;
      if (!breaks.length) text = D('legendAll');
      else if (low === null) text = D('legendBelow', { value: formatMetric(high, metric) });
      else if (high === null) text = D('legendAbove', { value: formatMetric(low, metric) });
      else text = D('legendRange', { low: formatMetric(low, metric), high: formatMetric(high, metric) });
      items.push(el('li', {}, swatch(colour), document.createTextNode(text)));
    });
    items.push(el('li', {}, swatch('#ececec'), document.createTextNode(D('legendNotShown'))));
    legend.replaceChildren(...items);
  }

  function swatch(colour) {
    return svg('svg', { width: 14, height: 14, 'aria-hidden': 'true', class: 'swatch' },
      svg('rect', { width: 14, height: 14, fill: colour, stroke: '#888', 'stroke-width': 0.5 }));
  }

  // ---------- charts ----------
  const LINE_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02'];

  // Drawn at the width of its container (one unit a pixel, so labels keep their size and the chart
  // fills its card), and drawn again when that width changes.
  function lineChart(container, weeks, series, title) {
    container.chart = { weeks, series, title, width: container.clientWidth };
    const width = Math.max(280, container.clientWidth || 640); const height = 260;
    const left = 48; const right = 16; const top = 12; const bottom = 28;
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const x = (i) => left + (weeks.length < 2 ? 0 : (i * (width - left - right)) / (weeks.length - 1));
    const y = (v) => top + (1 - v / max) * (height - top - bottom);
    const chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': title, class: 'line-chart',
      preserveAspectRatio: 'xMinYMin meet' }, svg('title'));
    chart.firstChild.textContent = title;
    for (let i = 0; i <= 4; i += 1) {
      const value = (max * i) / 4;
      chart.append(svg('line', { x1: left, x2: width - right, y1: y(value), y2: y(value), class: 'grid' }));
      const label = svg('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'axis' });
      label.textContent = fmtInt(Math.round(value));
      chart.append(label);
    }
    // Week labels at a steady interval counted back from the last week, about one per 80 pixels, so
    // the last two never meet; the outermost are anchored inside the chart.
    const step = Math.max(1, Math.ceil(weeks.length / Math.max(2, Math.floor((width - left - right) / 80))));
    weeks.forEach((week, i) => {
      if ((weeks.length - 1 - i) % step !== 0) return;
      const anchor = weeks.length > 1 && i === weeks.length - 1 ? 'end' : i === 0 && weeks.length > 1 ? 'start' : 'middle';
      const label = svg('text', { x: x(i), y: height - 8, 'text-anchor': anchor, class: 'axis' });
      label.textContent = fmtWeek(week);
      chart.append(label);
    });
    series.forEach((s, index) => {
      const colour = s.colour || LINE_COLOURS[index % LINE_COLOURS.length];
      const points = s.values.map((v, i) => x(i).toFixed(1) + ',' + y(v).toFixed(1)).join(' ');
      chart.append(svg('polyline', { points, fill: 'none', stroke: colour, 'stroke-width': s.bold ? 3 : 2, class: 'series' }));
      s.values.forEach((v, i) => chart.append(svg('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5, fill: colour })));
    });
    const legend = el('ul', { class: 'legend' }, ...series.map((s, index) =>
      el('li', {}, swatch(s.colour || LINE_COLOURS[index % LINE_COLOURS.length]), document.createTextNode(s.name))));
    container.replaceChildren(chart, legend);
  }

  let resizing = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const container of document.querySelectorAll('.chart')) {
        const drawn = container.chart;
        if (drawn && container.clientWidth && container.clientWidth !== drawn.width) lineChart(container, drawn.weeks, drawn.series, drawn.title);
      }
    }, 150);
  });

  function weeklyTable(table, weeks, series) {
    const head = el('tr', {}, el('th', { scope: 'col', text: D('weekOf') }), ...series.map((s) => el('th', { scope: 'col', class: 'num', text: s.name })));
    const rows = weeks.map((week, i) => el('tr', {}, el('th', { scope: 'row', text: fmtDate(week) }),
      ...series.map((s) => el('td', { class: 'num', text: fmtInt(s.values[i]) }))));
    table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
  }

  function renderMomentum() {
    const timeline = state.timeline;
    const names = new Map(state.ranking.rows.map((row) => [row.country, row.country_name]));
    const top = timeline.series.slice()
      .sort((a, b) => (b.cumulative[b.cumulative.length - 1] || 0) - (a.cumulative[a.cumulative.length - 1] || 0))
      .slice(0, 5)
      .map((s) => ({ name: countryName(s.country, names.get(s.country) || s.country), values: s.cumulative }));
    if (timeline.total && timeline.total.length) top.unshift({ name: D('allCountries'), values: timeline.total, colour: '#222', bold: true });
    if (!timeline.weeks.length || !top.length) {
      $('momentum-chart').replaceChildren(el('p', { class: 'muted', text: D('noSignatures') }));
      $('momentum-table').replaceChildren();
      return;
    }
    lineChart($('momentum-chart'), timeline.weeks, top, D('momentumTitle', {
      list: list(top.map((s) => D('seriesValue', { name: s.name, count: fmtInt(s.values[s.values.length - 1]) }))) }));
    weeklyTable($('momentum-table'), timeline.weeks, top);
  }

  // ---------- country page ----------
  const countryHref = (code) => '/dashboard?campaign=' + encodeURIComponent(state.campaign.slug) + '&country=' + encodeURIComponent(code);

  function groupTable(caption, group) {
    const rows = group.rows.concat(group.other ? [Object.assign({}, group.other, { country_name: D('otherGroups') })] : []);
    return el('table', { class: 'group' },
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: D('colName') }), el('th', { scope: 'col', class: 'num', text: D('colSignatures') }),
        el('th', { scope: 'col', class: 'num col-eligible', text: D('colEligible') }),
        el('th', { scope: 'col', class: 'num', text: D('colParticipationShort') }))),
      el('tbody', {}, ...(rows.length ? rows.map((row) => el('tr', {},
        el('th', { scope: 'row', text: row.country_name || row.country || '—' }), el('td', { class: 'num', text: fmtInt(row.signatures) }),
        el('td', { class: 'num col-eligible', text: fmtInt(row.eligible) }), el('td', { class: 'num', text: fmtPct(row.participation) }))) :
        [el('tr', {}, el('td', { colspan: 4, class: 'muted', text: D('nothingAtThreshold') }))])));
  }

  async function openCountry(code, push = true) {
    if (push) history.pushState({ country: code }, '', countryHref(code));
    const panel = $('country-panel');
    panel.hidden = false;
    $('country-title').textContent = code;
    $('country-body').replaceChildren(el('p', { class: 'muted', text: I.t('page.loading') }));
    try {
      const data = await api(campaignPath('/countries/' + encodeURIComponent(code)));
      const row = data.country;
      const shownName = countryName(row.country, row.country_name);
      $('country-title').textContent = shownName;
      const goal = !row.goal ? D('noneSet') : (row.needed_per_day
        ? D('goalNeeds', { goal: fmtInt(row.goal), progress: fmtPct(row.goal_progress, 0), rate: fmtRate(row.needed_per_day) })
        : D('goalDetail', { goal: fmtInt(row.goal), progress: fmtPct(row.goal_progress, 0) }));
      const facts = el('dl', { class: 'facts' },
        el('dt', { text: D('colSignatures') }), el('dd', { id: 'country-signatures', 'data-value': row.signatures, text: fmtInt(row.signatures) }),
        el('dt', { text: D('colEligible') }), el('dd', { 'data-value': row.eligible, text: fmtInt(row.eligible) }),
        el('dt', { text: D('colParticipationShort') }),
        el('dd', { text: D('participationAtLeast', { value: fmtPct(row.participation), low: fmtPct(row.rate_lower_bound) }) }),
        el('dt', { text: D('colLast7Days') }), el('dd', { text: fmtInt(row.last_7_days) }),
        el('dt', { text: D('goal') }), el('dd', { text: goal }));
      const chart = el('div', { class: 'chart' });
      const weekly = el('table', { class: 'weekly' });
      const children = [facts, el('div', { class: 'two' }, groupTable(D('bySite'), data.by_site), groupTable(D('byOrgUnit'), data.by_org_unit))];
      if (data.weekly.length) {
        children.push(el('h3', { text: D('weeklyTimeline') }), chart, el('details', { class: 'data-table' }, el('summary', { text: D('asTable') }), weekly));
      }
      $('country-body').replaceChildren(...children);
      if (data.weekly.length) {
        const series = [{ name: shownName, values: data.weekly.map((w) => w.signatures), colour: '#3182bd', bold: true }];
        lineChart(chart, data.weekly.map((w) => w.week), series, D('countryChartTitle', { country: shownName }));
        weeklyTable(weekly, data.weekly.map((w) => w.week), series);
      }
      panel.scrollIntoView({ block: 'start' });
    } catch (error) {
      $('country-body').replaceChildren(el('p', { text: error.code === 'country_not_shown' ? D('countryNotShown') : I.error(error.code) }));
    }
  }

  function closeCountry(push = true) {
    $('country-panel').hidden = true;
    if (push) history.pushState({}, '', '/dashboard?campaign=' + encodeURIComponent(state.campaign.slug));
  }

  // ---------- stories and events ----------
  // The approved stories, newest first, a page at a time ("More stories" follows the API's cursor).
  const STORIES_PAGE = 12;

  function storyItem(post) {
    const item = el('li', { class: 'story' });
    if (post.media && post.media.type.startsWith('image/')) {
      item.append(el('img', { src: post.media.url, alt: I.t('feed.photoAlt'), width: 320, height: 180 }));
    } else if (post.media && post.media.type.startsWith('video/')) {
      item.append(el('video', { src: post.media.url, controls: true, preload: 'none', width: 320, height: 180, 'aria-label': I.t('feed.videoLabel') }));
    }
    item.append(el('p', { text: post.body }));
    if (post.hashtags.length) item.append(el('p', { class: 'tags' }, ...post.hashtags.map((tag) => el('span', { class: 'tag', text: tag }))));
    item.append(el('p', { class: 'muted small', text: fmtDate(post.created_at) }));
    return item;
  }

  async function renderStories(cursor) {
    const list = $('stories');
    const more = $('more-stories');
    const campaign = state.campaign;
    more.hidden = true;
    try {
      const page = await api(campaignPath('/posts?limit=' + STORIES_PAGE + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')));
      if (state.campaign !== campaign) return;  // another campaign was chosen meanwhile
      if (!cursor && !page.posts.length) { list.replaceChildren(el('li', { class: 'muted', text: D('noStories') })); return; }
      if (cursor) list.append(...page.posts.map(storyItem));
      else list.replaceChildren(...page.posts.map(storyItem));
      if (page.next_cursor) {
        more.hidden = false;
        more.onclick = () => renderStories(page.next_cursor);
      }
    } catch (error) {
      const item = el('li', { class: 'muted', text: D('storiesUnavailable', { reason: I.error(error.code) }) });
      if (cursor) list.append(item); else list.replaceChildren(item);
    }
  }

  async function renderEvents() {
    const list = $('events');
    try {
      const data = await api(campaignPath('/events'));
      if (!data.events.length) { list.replaceChildren(el('li', { class: 'muted', text: I.t('events.empty') })); return; }
      list.replaceChildren(...data.events.map((event) => el('li', { class: 'event' },
        el('strong', { text: event.title }),
        el('span', { text: D('eventPlace', {
          place: event.city ? I.t('events.place', { city: event.city, country: countryName(event.country, event.country) })
            : countryName(event.country, event.country),
          kind: D('kind.' + event.kind) }) }),
        el('span', { class: 'muted', text: D('eventWhen', {
          when: fmtDateTime(event.starts_at),
          places: event.capacity ? I.t('events.goingOf', { count: event.going, capacity: event.capacity }) : I.t('events.going', { count: event.going }),
        }) + (event.waiting ? ' · ' + I.t('events.waiting', { count: event.waiting }) : '') }))));
    } catch (error) {
      list.replaceChildren(el('li', { class: 'muted', text: D('eventsUnavailable', { reason: I.error(error.code) }) }));
    }
  }

  // ---------- live counter ----------
  function connectLive() {
    if (state.source) state.source.close();
    const source = new EventSource(campaignPath('/live'), { withCredentials: true });
    state.source = source;
    const status = $('live-status');
    source.addEventListener('open', () => { status.textContent = D('live'); status.className = 'live on'; });
    source.addEventListener('error', () => {
      status.textContent = D('reconnecting'); status.className = 'live off';
      // The browser gives up when the server refuses the stream: the session has ended (the stream
      // closes when it expires), or the service is away. Ask which, then sign in or try again.
      if (source.readyState !== EventSource.CLOSED || state.source !== source) return;
      api('/v1/me').then(() => setTimeout(() => { if (state.source === source) connectLive(); }, 5000), (error) => {
        if (error.status === 401) showSignIn();
        else setTimeout(() => { if (state.source === source) connectLive(); }, 5000);
      });
    });
    source.addEventListener('total', (event) => {
      const data = JSON.parse(event.data);
      const previous = state.live;
      state.live = data;
      const total = state.ranking.total ? Object.assign({}, state.ranking.total, data) : null;
      renderHeadline(total);
      if (previous && previous.signatures !== data.signatures) {
        const value = $('stat-signatures');
        value.classList.remove('flash');
        void value.offsetWidth;  // restart the animation
        value.classList.add('flash');
      }
    });
  }

  // ---------- page ----------
  function renderAll() {
    const total = state.ranking.total && state.live ? Object.assign({}, state.ranking.total, state.live) : state.ranking.total;
    $('figures-note').hidden = !state.ranking.approximate;
    renderHeadline(total);
    renderTable();
    renderMap();
  }

  function showSignIn() {
    showMessage([el('h2', { text: D('pleaseSignIn') }),
      el('p', {}, document.createTextNode(D('sessionEnded') + ' '), el('a', { href: '/dashboard/sign-in', text: I.t('signIn.link') }))]);
    $('live-status').textContent = '';
  }

  async function load() {
    await I.load(I.choose());
    // The choice is kept in the browser; the page is drawn again in the new language.
    I.fillSwitcher($('language'), () => window.location.reload());
    I.apply();
    document.title = D('title');
    let me;
    try {
      me = await api('/v1/me');
    } catch (error) {
      if (error.status === 401) { showSignIn(); return; }
      throw error;
    }
    if (!me.roles.includes('leader') && !me.roles.includes('hr_admin')) {
      showMessage([el('h2', { text: D('forLeadership') }), el('p', { text: D('forLeadershipText') })]);
      $('live-status').textContent = '';
      return;
    }
    const list = await api('/v1/campaigns');
    state.campaigns = list.campaigns.filter((c) => c.status !== 'draft');
    const wanted = params.get('campaign');
    state.campaign = state.campaigns.find((c) => c.slug === wanted || c.id === wanted) ||
      state.campaigns.find((c) => c.status === 'active') || state.campaigns[0];
    if (!state.campaign) {
      showMessage([el('h2', { text: D('noCampaign') }), el('p', { text: D('noCampaignText') })]);
      return;
    }
    const select = $('campaign-select');
    select.replaceChildren(...state.campaigns.map((c) => el('option', { value: c.slug, selected: c === state.campaign, text: D('campaignOption', { title: titleOf(c).text, status: D('status.' + c.status) }) })));
    select.addEventListener('change', () => { window.location.assign('/dashboard?campaign=' + encodeURIComponent(select.value)); });
    const title = titleOf(state.campaign);
    $('campaign-title').textContent = title.text;
    $('campaign-title').lang = title.lang;
    $('campaign-subtitle').textContent = D('subtitle', { organisation: me.organisation.name, hashtag: state.campaign.hashtag,
      start: fmtDate(state.campaign.starts_at), end: fmtDate(state.campaign.ends_at) });
    document.title = D('pageTitle', { campaign: title.text });

    const [ranking, timeline, world] = await Promise.all([
      api(campaignPath('/rankings?metric=participation')), api(campaignPath('/timeline')),
      fetch('/dashboard/assets/world-countries.geojson').then((r) => r.json()),
    ]);
    state.ranking = ranking;
    state.sort = { key: 'rank', descending: false };  // the ranking by participation, as fetched
    state.timeline = timeline;
    state.world = world;
    renderMetricOptions(ranking.metrics);
    $('main').hidden = false;
    renderAll();
    renderMomentum();
    renderStories();
    renderEvents();
    connectLive();
    const country = params.get('country');
    if (country) openCountry(country.toUpperCase(), false);
    document.body.dataset.ready = 'true';
  }

  // The title in the page's language, else the campaign's default language, with its tag.
  function titleOf(campaign) { return I.pick(campaign.title, campaign.default_language); }

  document.addEventListener('DOMContentLoaded', () => {
    $('metric-select').addEventListener('change', (event) => { state.mapMetric = event.target.value; renderMap(); });
    $('download-csv').addEventListener('click', downloadCSV);
    $('country-close').addEventListener('click', (event) => { event.preventDefault(); closeCountry(); });
    $('ranking-table').addEventListener('click', (event) => {
      const link = event.target.closest('a[data-country]');
      if (link) { event.preventDefault(); openCountry(link.dataset.country); }
    });
    $('sign-out').addEventListener('click', async () => {
      if (state.source) state.source.close();
      await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin' });
      window.location.assign('/dashboard/sign-in');
    });
    window.addEventListener('popstate', () => {
      const country = new URLSearchParams(window.location.search).get('country');
      if (country) openCountry(country, false); else closeCountry(false);
    });
    load().catch((error) => {
      showMessage([el('h2', { text: D('couldNotLoad') }), el('p', { text: I.error(error.code || 'generic') })]);
    });
  });
})();
