// Opens the dashboard's session (POST /v1/session), then the dashboard.
//
// A one-click link carries a sign-in code in the fragment (#code=…): browsers never send the
// fragment to the server, so the code stays out of access logs, and it opens one session, once,
// within minutes: the copy the browser's history keeps opens nothing afterwards. A person may also
// paste a bearer token into the form.
//
// When this browser is already signed in as someone else, the service answers 409 and nothing
// changes until the person confirms: a link made by somebody else cannot switch a signed-in
// browser to that person's account behind its user's back.
'use strict';

(function () {
  const status = document.getElementById('sign-in-status');
  const form = document.getElementById('sign-in-form');
  const field = document.getElementById('token');
  const prompt = document.getElementById('replace-prompt');
  const promptMessage = document.getElementById('replace-message');
  const confirmButton = document.getElementById('replace-confirm');
  const keepButton = document.getElementById('replace-keep');

  // The request that asks for a session: by code (JSON body) or by token (Authorization header).
  function request(credential, replace) {
    const body = {};
    const headers = { 'Content-Type': 'application/json' };
    if (credential.code) body.code = credential.code;
    if (credential.token) headers.Authorization = 'Bearer ' + credential.token.trim();
    if (replace) body.replace = true;
    return fetch('/v1/session', { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body) });
  }

  async function signIn(credential, next, replace) {
    prompt.hidden = true;
    status.textContent = 'Signing in…';
    const response = await request(credential, replace);
    if (response.status === 204) {
      status.textContent = 'Signed in. Opening the dashboard…';
      window.location.replace(next);
      return;
    }
    const answer = await response.json().catch(() => ({}));
    const code = answer.error && answer.error.code;
    if (response.status === 409 && code === 'session_exists') {
      status.textContent = 'This browser is signed in already.';
      promptMessage.textContent = answer.error.message + '. Sign in with this link only if you asked for it.';
      prompt.hidden = false;
      confirmButton.onclick = () => { signIn(credential, next, true).catch(unreachable); };
      keepButton.onclick = () => { window.location.replace(next); };
      keepButton.focus();
    } else if (code === 'invalid_code') {
      status.textContent = 'This sign-in link has expired or has been used already. Ask for a new one.';
    } else {
      status.textContent = 'That token was not accepted (it may have expired). Ask for a new sign-in link.';
    }
  }

  function unreachable() { status.textContent = 'The service could not be reached.'; }

  // Only a path of this site, never another origin: the HR console when signing in at
  // /admin/sign-in, else the dashboard.
  function nextPage(params) {
    if (window.location.pathname.indexOf('/admin/') === 0) return '/admin';
    const campaign = params.get('campaign');
    return '/dashboard' + (campaign ? '?campaign=' + encodeURIComponent(campaign) : '');
  }

  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  history.replaceState(null, '', window.location.pathname + window.location.search);
  const code = fragment.get('code');
  if (code) {
    signIn({ code }, nextPage(fragment), false).catch(unreachable);
  } else if (fragment.get('token')) {
    // Links made before sign-in codes carried a bearer token: it is not used from a link any more.
    status.textContent = 'Sign-in links no longer carry tokens. Ask for a new link, or paste the token below.';
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (field.value.trim()) {
      signIn({ token: field.value }, nextPage(new URLSearchParams(window.location.search)), false).catch(unreachable);
    }
  });
})();
