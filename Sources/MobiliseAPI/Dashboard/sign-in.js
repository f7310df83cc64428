// Opens a page's session (POST /v1/session), then the page.
//
// A one-click link carries a sign-in code in the fragment (#code=…): browsers never send the
// fragment to the server, so the code stays out of access logs, and it opens one session, once,
// within minutes: the copy the browser's history keeps opens nothing afterwards. A person may also
// paste a bearer token into the form.
//
// When this browser is already signed in as someone else, the service answers 409 and nothing
// changes until the person confirms: a link made by somebody else cannot switch a signed-in
// browser to that person's account behind its user's back.
// The page speaks the person's language (MobiliseI18n, /assets/i18n.js); after signing in it opens
// the leadership dashboard, or the employee's page when the link says page=employee.
'use strict';

(function () {
  const I = window.MobiliseI18n;
  const status = document.getElementById('sign-in-status');
  const form = document.getElementById('sign-in-form');
  const field = document.getElementById('token');
  const prompt = document.getElementById('replace-prompt');
  const promptMessage = document.getElementById('replace-message');
  const confirmButton = document.getElementById('replace-confirm');
  const keepButton = document.getElementById('replace-keep');

  // What the status says, as a catalogue key (so that a change of language re-says it).
  let statusKey = 'signIn.paste';
  let promptParams = null;
  function say(key) { statusKey = key; status.textContent = I.t(key); }
  // The page's heading and title name what signing in opens: the HR console (at /admin/sign-in),
  // the employee's page (page=employee), else the leadership dashboard.
  const HEADINGS = {
    console: ['signIn.title.console', 'signIn.heading.console'],
    dashboard: ['signIn.title.dashboard', 'signIn.heading.dashboard'],
    employee: ['signIn.title', 'signIn.pageHeading'],
  };
  let target = 'dashboard';
  function render() {
    I.apply();
    const [title, heading] = HEADINGS[target];
    document.title = I.t(title);
    document.getElementById('sign-in-heading').textContent = I.t(heading);
    say(statusKey);
    if (promptParams) promptMessage.textContent = I.t('signIn.replacePrompt', promptParams);
  }

  // The request that asks for a session: by code (JSON body) or by token (Authorization header).
  function request(credential, replace) {
    const body = {};
    const headers = { 'Content-Type': 'application/json' };
    if (credential.code) body.code = credential.code;
    if (credential.token) headers.Authorization = 'Bearer ' + credential.token.trim();
    if (replace) body.replace = true;
    return fetch('/v1/session', { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body) });
  }

  // Who this browser is signed in as now (for the question asked before replacing it).
  async function currentIdentity() {
    const response = await fetch('/v1/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const answer = await response.json().catch(() => ({}));
    return { subject: answer.subject || '?', organisation: answer.organisation || '?' };
  }

  async function signIn(credential, next, replace) {
    prompt.hidden = true;
    promptParams = null;
    say('signIn.signingIn');
    const response = await request(credential, replace);
    if (response.status === 204) {
      say('signIn.signedIn');
      window.location.replace(next);
      return;
    }
    const answer = await response.json().catch(() => ({}));
    const code = answer.error && answer.error.code;
    if (response.status === 409 && code === 'session_exists') {
      say('signIn.alreadySignedIn');
      promptParams = await currentIdentity();
      promptMessage.textContent = I.t('signIn.replacePrompt', promptParams);
      prompt.hidden = false;
      confirmButton.onclick = () => { signIn(credential, next, true).catch(unreachable); };
      keepButton.onclick = () => { window.location.replace(next); };
      keepButton.focus();
    } else if (code === 'invalid_code') {
      say('signIn.invalidCode');
    } else {
      say('signIn.tokenRefused');
    }
  }

  function unreachable() { say('signIn.unreachable'); }

  // Only a path of this site, never another origin: the HR console when signing in at
  // /admin/sign-in, else the employee's page or the dashboard.
  function nextPage(params) {
    if (window.location.pathname.indexOf('/admin/') === 0) return '/admin';
    const campaign = params.get('campaign');
    let query = campaign ? '?campaign=' + encodeURIComponent(campaign) : '';
    // A poster's QR code: its channel and event go on to the employee's page (which records them).
    const channel = params.get('channel');
    if (campaign && (channel === 'poster' || channel === 'qr')) {
      query += '&channel=' + channel;
      const event = params.get('event');
      if (event && /^[0-9a-fA-F-]{36}$/.test(event)) query += '&event=' + event;
    }
    return (params.get('page') === 'employee' ? '/' : '/dashboard') + query;
  }

  // Company sign-in (OpenID Connect): the intranet links to /dashboard/sign-in?org=SLUG, and the
  // page offers the organisation's identity provider (the service answers a page that explains it
  // when the organisation has none). /auth/oidc/SLUG/sign-in works as a plain link too. The page
  // to open afterwards goes through the provider as `return` (the HR console, or the employee's
  // page with a poster's campaign, channel and event); the dashboard is the default.
  function offerCompanySignIn(query, params) {
    const organisation = query.get('org');
    if (organisation && /^[a-z0-9][a-z0-9-]{0,99}$/.test(organisation)) {
      const next = nextPage(params);
      document.getElementById('company-link').href = '/auth/oidc/' + encodeURIComponent(organisation) + '/sign-in'
        + (next === '/dashboard' ? '' : '?return=' + encodeURIComponent(next));
      document.getElementById('company-sign-in').hidden = false;
    }
  }

  async function start() {
    const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    const query = new URLSearchParams(window.location.search);
    if (window.location.pathname.indexOf('/admin/') === 0) target = 'console';
    else if ((fragment.get('page') || query.get('page')) === 'employee') target = 'employee';
    await I.load(I.choose());
    I.fillSwitcher(document.getElementById('language'), render);
    render();
    history.replaceState(null, '', window.location.pathname + window.location.search);
    // The page to open, and a poster's campaign, channel and event, may come in the query too.
    for (const name of ['page', 'campaign', 'channel', 'event']) if (!fragment.get(name) && query.get(name)) fragment.set(name, query.get(name));
    offerCompanySignIn(query, fragment);
    const code = fragment.get('code');
    if (code) {
      signIn({ code }, nextPage(fragment), false).catch(unreachable);
    } else if (fragment.get('token')) {
      // Links made before sign-in codes carried a bearer token: it is not used from a link any more.
      say('signIn.noTokensInLinks');
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (field.value.trim()) signIn({ token: field.value }, nextPage(query), false).catch(unreachable);
    });
  }

  start().catch(unreachable);
})();
