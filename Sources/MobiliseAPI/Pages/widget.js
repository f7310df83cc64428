// The widget an intranet page frames (<iframe src="https://mobilise…/widget?campaign=slug">): the
// pledge, a sign button and the live count. Only the origins of MOBILISE_WIDGET_ORIGINS may frame
// it (frame-ancestors). It runs on this service's origin: its requests are same-origin, with the
// session cookie and the session's CSRF token, exactly as the employee page's.
'use strict';

(function () {
  const I = window.MobiliseI18n;
  const $ = (id) => document.getElementById(id);
  const state = { csrf: null, campaign: null, signature: null, signatures: null };

  async function api(method, path, json) {
    const headers = { Accept: 'application/json' };
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    const response = await fetch(path, { method, headers, credentials: 'same-origin', body: json === undefined ? undefined : JSON.stringify(json) });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error('api');
      error.status = response.status;
      error.code = (data && data.error && data.error.code) || 'generic';
      throw error;
    }
    return data;
  }

  function render() {
    const c = state.campaign;
    if (!c) return;
    const title = I.pick(c.title, c.default_language);
    $('widget-title').textContent = title.text;
    $('widget-title').lang = title.lang;
    const pledge = I.pick(c.pledge_text, c.default_language);
    $('widget-pledge').textContent = pledge.text;
    $('widget-pledge').lang = pledge.lang;
    $('widget-pledge').hidden = false;
    const count = $('widget-count');
    count.hidden = state.signatures === null || state.signatures === undefined;
    if (!count.hidden) {
      count.dataset.value = String(state.signatures);
      count.textContent = I.t('campaign.count', { count: state.signatures });
    }
    const signed = state.signature && !state.signature.withdrawn_at;
    $('widget-state').textContent = signed ? I.t('pledge.signedAt', { when: I.dateTime(state.signature.signed_at) }) : I.t('pledge.notSigned');
    $('widget-state').className = 'state ' + (signed ? 'signed' : 'unsigned');
    $('widget-sign').hidden = !!signed;
    $('widget-open').hidden = !signed;
    document.title = title.text;
  }

  function live() {
    if (!window.EventSource) return;
    const source = new EventSource('/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/live');
    source.addEventListener('total', (event) => {
      const figures = JSON.parse(event.data);
      state.signatures = figures.signatures;
      render();
    });
    // On an error the browser reconnects by itself; a closed session is ended for good.
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) source.close(); };
  }

  async function sign() {
    $('widget-sign').disabled = true;
    try {
      state.signature = await api('PUT', '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/signature', { channel: 'web' });
      render();
      $('widget-open').focus();
    } catch (e) {
      $('widget-state').textContent = I.error(e.code);
    } finally {
      $('widget-sign').disabled = false;
    }
  }

  async function start() {
    await I.load(I.choose());
    I.apply();
    $('widget-state').removeAttribute('data-i18n');  // from here on, the widget's own sentences
    let session;
    try {
      session = await api('GET', '/v1/session');
    } catch (e) {
      $('widget-state').textContent = e.status === 401 ? I.t('widget.signInFirst') : I.error(e.code);
      $('widget-sign-in').hidden = e.status !== 401;
      document.body.dataset.ready = 'true';
      return;
    }
    state.csrf = session.csrf_token || null;
    const wanted = new URLSearchParams(window.location.search).get('campaign');
    if (wanted) {
      state.campaign = await api('GET', '/v1/campaigns/' + encodeURIComponent(wanted));
    } else {
      state.campaign = (await api('GET', '/v1/campaigns?limit=1')).campaigns[0] || null;
    }
    if (!state.campaign) {
      $('widget-state').textContent = I.t('campaigns.none');
      document.body.dataset.ready = 'true';
      return;
    }
    $('widget-open').href = '/?campaign=' + encodeURIComponent(state.campaign.slug);
    if (state.campaign.signed) {
      try { state.signature = await api('GET', '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/signature'); } catch (e) { /* unsigned */ }
    }
    render();
    live();
    document.body.dataset.ready = 'true';
  }

  $('widget-sign').addEventListener('click', sign);
  start().catch((e) => {
    $('widget-state').textContent = I.error(e && e.code ? e.code : 'generic');
    document.body.dataset.ready = 'true';
  });
})();
