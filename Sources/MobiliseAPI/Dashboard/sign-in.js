// Exchanges a bearer token for the dashboard's session cookie (POST /v1/session), then opens the
// dashboard. A one-click link carries the token in the fragment (#token=…): browsers never send
// the fragment to the server, so the token stays out of access logs; it is removed from the
// address bar at once.
'use strict';

(function () {
  const status = document.getElementById('sign-in-status');
  const form = document.getElementById('sign-in-form');
  const field = document.getElementById('token');

  async function signIn(token, next) {
    status.textContent = 'Signing in…';
    const response = await fetch('/v1/session', {
      method: 'POST', credentials: 'same-origin', headers: { Authorization: 'Bearer ' + token.trim() },
    });
    if (response.status === 204) {
      status.textContent = 'Signed in. Opening the dashboard…';
      window.location.replace(next);
    } else {
      status.textContent = 'That token was not accepted (it may have expired). Ask for a new sign-in link.';
    }
  }

  // Only a path of this site, never another origin.
  function nextPage(params) {
    const campaign = params.get('campaign');
    return '/dashboard' + (campaign ? '?campaign=' + encodeURIComponent(campaign) : '');
  }

  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  history.replaceState(null, '', window.location.pathname + window.location.search);
  if (token) {
    signIn(token, nextPage(fragment)).catch(() => { status.textContent = 'The service could not be reached.'; });
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (field.value.trim()) {
      signIn(field.value, nextPage(new URLSearchParams(window.location.search)))
        .catch(() => { status.textContent = 'The service could not be reached.'; });
    }
  });
})();
