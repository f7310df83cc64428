// The employee's page: the campaigns open to me, the pledge in my language, signing and
// withdrawing, my story with a photo, colleagues' stories, events with RSVP, and my data.
//
// Everything comes from the public API with the session cookie. A change (signing, a story, an
// RSVP) is sent with the session's CSRF token (GET /v1/session's csrf_token) in X-CSRF-Token: the
// service refuses a cookie-authenticated change without it, and from another site.
'use strict';

(function () {
  const I = window.MobiliseI18n;
  const $ = (id) => document.getElementById(id);
  const MAX_PHOTO = 10 * 1024 * 1024;

  const state = {
    csrf: null, campaigns: [], campaign: null, signature: null, count: null,
    posts: [], nextCursor: null, events: [], rsvps: {}, mine: [], previewURL: null,
  };

  class APIFailure extends Error {
    constructor(status, code) { super(code); this.status = status; this.code = code; }
  }

  async function api(method, path, options) {
    const headers = { Accept: 'application/json' };
    let body;
    if (options && options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options && options.form) {
      body = options.form;
    }
    if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    let response;
    try {
      response = await fetch(path, { method, headers, body, credentials: 'same-origin' });
    } catch (e) {
      throw new APIFailure(0, 'network');
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new APIFailure(response.status, (data && data.error && data.error.code) || 'generic');
    return { status: response.status, body: data };
  }

  function show(element, visible) { element.hidden = !visible; }

  // The page's status line says its own words from here on (not its loading placeholder's key).
  function say(text) {
    $('page-status').removeAttribute('data-i18n');
    $('page-status').textContent = text;
  }

  function fail(error) {
    if (error && (error.code === 'session_expired' || error.code === 'missing_token')) {
      showSignedOut();
      return;
    }
    const box = $('message');
    box.textContent = I.error(error && error.code ? error.code : 'generic');
    show(box, true);
  }

  function clearMessage() { show($('message'), false); }

  function showSignedOut() {
    // Through sign-in and back with the link's campaign, channel and event (a poster's QR code).
    const params = new URLSearchParams(window.location.search);
    const back = new URLSearchParams({ page: 'employee' });
    // `org` (an intranet's link) also offers the organisation's company sign-in there.
    for (const name of ['campaign', 'channel', 'event', 'org']) if (params.get(name)) back.set(name, params.get(name));
    $('signed-out').querySelector('a').href = '/dashboard/sign-in?' + back.toString();
    show($('content'), false);
    show($('sign-out'), false);
    show($('signed-out'), true);
    say('');
    document.body.dataset.ready = 'true';
  }

  // MARK: the campaign and the signature

  function campaignCount() {
    const count = state.count;
    if (!count || count.signatures === null || count.signatures === undefined) return '';
    return I.t('campaign.count', { count: count.signatures });
  }

  function renderCampaign() {
    const c = state.campaign;
    if (!c) return;
    const title = I.pick(c.title, c.default_language);
    $('campaign-title').textContent = title.text;
    $('campaign-title').lang = title.lang;
    $('campaign-hashtag').textContent = c.hashtag;
    const pledge = I.pick(c.pledge_text, c.default_language);
    $('pledge').textContent = pledge.text;
    $('pledge').lang = pledge.lang;
    $('campaign-dates').textContent = I.t('campaign.until', { date: I.date(c.ends_at) });
    $('campaign-count').textContent = campaignCount();
    const signed = state.signature && !state.signature.withdrawn_at;
    $('signature-state').textContent = signed
      ? I.t('pledge.signedAt', { when: I.dateTime(state.signature.signed_at) })
      : (state.signature && state.signature.withdrawn_at
        ? I.t('pledge.withdrawnAt', { when: I.dateTime(state.signature.withdrawn_at) }) : I.t('pledge.notSigned'));
    $('signature-state').className = 'state ' + (signed ? 'signed' : 'unsigned');
    show($('sign'), !signed);
    show($('withdraw'), !!signed);
    const select = $('campaign-select');
    for (const option of select.options) {
      const campaign = state.campaigns.find((x) => x.slug === option.value);
      const text = I.pick(campaign.title, campaign.default_language);
      option.textContent = text.text;
      option.lang = text.lang;
    }
  }

  async function loadCount() {
    try {
      state.count = (await api('GET', '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/live')).body;
    } catch (e) {
      state.count = null;  // a figure is a nicety: the page works without it
    }
  }

  // A poster's or QR code's link (/?campaign=…&channel=poster|qr&event=…) says how the employee came
  // and at which event: the signing call passes both on, for that campaign only, so that they are
  // recorded on the signature. Anything else signs as 'web'.
  function signingBody() {
    const params = new URLSearchParams(window.location.search);
    const channel = params.get('channel');
    if ((channel !== 'poster' && channel !== 'qr') || params.get('campaign') !== state.campaign.slug) return { channel: 'web' };
    const body = { channel };
    const event = params.get('event');
    if (event && /^[0-9a-fA-F-]{36}$/.test(event)) body.event_id = event;
    return body;
  }

  async function sign() {
    clearMessage();
    $('sign').disabled = true;
    try {
      const answer = await api('PUT', '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/signature', { json: signingBody() });
      state.signature = answer.body;
      await loadCount();
      renderCampaign();
      $('withdraw').focus();
    } catch (e) { fail(e); } finally { $('sign').disabled = false; }
  }

  async function withdraw() {
    clearMessage();
    $('withdraw').disabled = true;
    try {
      const path = '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/signature';
      await api('DELETE', path);
      state.signature = (await api('GET', path)).body;  // the moment it was withdrawn, as recorded
      await loadCount();
      renderCampaign();
      $('sign').focus();
    } catch (e) { fail(e); } finally { $('withdraw').disabled = false; }
  }

  // MARK: my story

  // Characters as the service counts them: code points of the trimmed text (an emoji is one, where
  // a textarea's maxlength and String.length count two).
  function storyLength() { return [...$('story-body').value.trim()].length; }

  function storyErrors() {
    const errors = [];
    if (!$('story-body').value.trim()) errors.push(['story-body', 'story.errorEmpty']);
    if (storyLength() > 5000) errors.push(['story-body', 'error.body_too_long']);
    const file = $('story-photo').files[0];
    if (file && file.size > MAX_PHOTO) errors.push(['story-photo', 'error.media_too_large']);
    if (file && !/^image\/(jpeg|png|webp)$/.test(file.type)) errors.push(['story-photo', 'error.media_type_mismatch']);
    return errors;
  }

  function showStoryErrors(errors) {
    const box = $('story-error');
    box.textContent = '';
    for (const field of ['story-body', 'story-photo']) $(field).removeAttribute('aria-invalid');
    if (!errors.length) { show(box, false); return; }
    const heading = document.createElement('h3');
    heading.textContent = I.t('story.errorHeading');
    const list = document.createElement('ul');
    for (const [field, key] of errors) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = '#' + field;
      link.textContent = I.t(key);
      link.addEventListener('click', (event) => { event.preventDefault(); $(field).focus(); });
      item.append(link);
      list.append(item);
      $(field).setAttribute('aria-invalid', 'true');
    }
    box.append(heading, list);
    show(box, true);
    box.focus();
  }

  function renderPreview() {
    const text = $('story-body').value.trim();
    const file = $('story-photo').files[0];
    $('preview-body').textContent = text;
    if (state.previewURL) { URL.revokeObjectURL(state.previewURL); state.previewURL = null; }
    if (file && /^image\//.test(file.type)) {
      state.previewURL = URL.createObjectURL(file);
      $('preview-photo').src = state.previewURL;
      $('preview-photo').alt = I.t('story.photoAlt');
      show($('preview-photo'), true);
    } else {
      $('preview-photo').removeAttribute('src');
      show($('preview-photo'), false);
    }
    show($('story-remove-photo'), !!file);
    show($('story-preview'), !!(text || file));
    $('story-count').textContent = I.t('story.characters', { count: storyLength(), max: 5000 });
  }

  async function sendStory(event) {
    event.preventDefault();
    clearMessage();
    $('story-status').textContent = '';
    const errors = storyErrors();
    showStoryErrors(errors);
    if (errors.length) return;
    const body = $('story-body').value.trim();
    const file = $('story-photo').files[0];
    const path = '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/posts';
    $('story-send').disabled = true;
    try {
      let answer;
      if (file) {
        const form = new FormData();
        form.append('body', body);
        form.append('media', file, file.name);
        answer = await api('POST', path, { form });
      } else {
        answer = await api('POST', path, { json: { body } });
      }
      state.mine.unshift({ id: answer.body.id, body: answer.body.body, status: answer.body.status, created_at: answer.body.created_at,
        media_type: answer.body.media ? answer.body.media.type : null });
      $('story-form').reset();
      renderPreview();
      renderMine();
      $('story-status').textContent = I.t(answer.body.status === 'approved' ? 'story.sentApproved' : 'story.sentPending');
      $('story-status').focus();
    } catch (e) {
      if (['body_required', 'body_too_long', 'invalid_text'].includes(e.code)) showStoryErrors([['story-body', 'error.' + e.code]]);
      else if (['media_too_large', 'media_malformed', 'media_type_mismatch', 'media_empty', 'too_large', 'unsupported_media_type'].includes(e.code)) {
        showStoryErrors([['story-photo', I.has('error.' + e.code) ? 'error.' + e.code : 'error.generic']]);
      } else fail(e);
    } finally { $('story-send').disabled = false; }
  }

  function renderMine() {
    const list = $('my-stories');
    list.textContent = '';
    const mine = state.mine.filter((post) => post.campaign === undefined || post.campaign === state.campaign.slug
      || post.campaign === state.campaign.id);
    for (const post of mine) {
      const item = document.createElement('li');
      const text = document.createElement('p');
      text.textContent = post.body;
      const status = document.createElement('p');
      status.className = 'muted status-' + post.status;
      status.textContent = I.t('story.status.' + post.status) + ' · ' + I.date(post.created_at);
      item.append(text, status);
      list.append(item);
    }
    show($('my-stories-heading'), mine.length > 0);
  }

  // MARK: the feed

  function storyItem(post) {
    const item = document.createElement('li');
    item.className = 'story';
    const article = document.createElement('article');
    article.className = 'story-card';
    const text = document.createElement('p');
    text.className = 'story-body';
    text.textContent = post.body;
    article.append(text);
    if (post.media && /^image\//.test(post.media.type)) {
      const image = document.createElement('img');
      image.src = post.media.url;
      image.alt = I.t('feed.photoAlt');
      image.loading = 'lazy';
      article.append(image);
    } else if (post.media && /^video\//.test(post.media.type)) {
      const video = document.createElement('video');
      video.src = post.media.url;
      video.controls = true;
      video.preload = 'none';
      video.setAttribute('aria-label', I.t('feed.videoLabel'));
      article.append(video);
    }
    const when = document.createElement('p');
    when.className = 'muted';
    when.textContent = I.date(post.created_at);
    article.append(when);
    item.append(article);
    return item;
  }

  function renderFeed() {
    const list = $('stories');
    list.textContent = '';
    for (const post of state.posts) list.append(storyItem(post));
    show($('feed-empty'), state.posts.length === 0);
    show($('more-stories'), !!state.nextCursor);
  }

  async function loadFeed(more) {
    const cursor = more && state.nextCursor ? '&cursor=' + encodeURIComponent(state.nextCursor) : '';
    const page = (await api('GET', '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/posts?limit=10' + cursor)).body;
    state.posts = more ? state.posts.concat(page.posts) : page.posts;
    state.nextCursor = page.next_cursor || null;
  }

  // MARK: events

  function eventPlace(event) {
    if (event.kind === 'online') return I.t('events.online');
    return event.city ? I.t('events.place', { city: event.city, country: countryName(event.country) }) : countryName(event.country);
  }

  function countryName(code) {
    try { return new Intl.DisplayNames([I.language], { type: 'region' }).of(code) || code; } catch (e) { return code; }
  }

  function renderEvents() {
    const list = $('event-list');
    const focusedID = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.event : null;
    list.textContent = '';
    for (const event of state.events) {
      const item = document.createElement('li');
      item.className = 'event';
      const heading = document.createElement('h3');
      heading.textContent = event.title;
      const when = document.createElement('p');
      when.textContent = I.t('events.when', { start: I.dateTime(event.starts_at), end: I.dateTime(event.ends_at) });
      const where = document.createElement('p');
      where.textContent = eventPlace(event);
      const places = document.createElement('p');
      places.className = 'muted';
      places.textContent = event.capacity
        ? I.t('events.goingOf', { count: event.going, capacity: event.capacity })
        : I.t('events.going', { count: event.going });
      if (event.waiting > 0) places.textContent += ' · ' + I.t('events.waiting', { count: event.waiting });
      const mine = state.rsvps[event.id];
      const status = document.createElement('p');
      status.className = 'state ' + (mine ? 'signed' : 'unsigned');
      status.setAttribute('role', 'status');
      status.textContent = !mine ? I.t('events.notGoing')
        : (mine.status === 'waiting'
          ? (mine.position ? I.t('events.youWaitPosition', { position: mine.position }) : I.t('events.youWait'))
          : I.t('events.youGo'));
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.event = event.id;
      const full = event.capacity && event.going >= event.capacity;
      if (mine) {
        button.className = 'secondary';
        button.textContent = I.t('events.cancel');
        button.addEventListener('click', () => cancelRSVP(event));
      } else {
        button.className = 'primary';
        button.textContent = full ? I.t('events.joinWaitingList') : I.t('events.rsvp');
        button.addEventListener('click', () => rsvp(event));
      }
      button.setAttribute('aria-describedby', 'event-title-' + event.id);
      heading.id = 'event-title-' + event.id;
      item.append(heading, when, where, places, status, button);
      list.append(item);
    }
    show($('events-empty'), state.events.length === 0);
    if (focusedID) {
      const again = list.querySelector('button[data-event="' + focusedID + '"]');
      if (again) again.focus();
    }
  }

  async function reloadEvents() {
    state.events = (await api('GET', '/v1/campaigns/' + encodeURIComponent(state.campaign.slug) + '/events')).body.events;
  }

  async function rsvp(event) {
    clearMessage();
    try {
      const answer = await api('PUT', '/v1/events/' + event.id + '/rsvp');
      state.rsvps[event.id] = answer.body;
      await reloadEvents();
      renderEvents();
    } catch (e) { fail(e); }
  }

  async function cancelRSVP(event) {
    clearMessage();
    try {
      await api('DELETE', '/v1/events/' + event.id + '/rsvp');
      delete state.rsvps[event.id];
      await reloadEvents();
      renderEvents();
    } catch (e) { fail(e); }
  }

  // MARK: loading

  async function openCampaign(slug) {
    state.campaign = state.campaigns.find((c) => c.slug === slug) || state.campaigns[0];
    const path = '/v1/campaigns/' + encodeURIComponent(state.campaign.slug);
    state.signature = null;
    // Also a withdrawn one: the page says when it was withdrawn, after a reload too.
    if (state.campaign.signed || state.campaign.withdrawn_at) {
      try { state.signature = (await api('GET', path + '/signature')).body; } catch (e) { if (e.code !== 'signature_not_found') throw e; }
    }
    await Promise.all([loadCount(), loadFeed(false), reloadEvents()]);
    renderAll();
  }

  function renderAll() {
    I.apply();
    document.title = state.campaign ? I.t('page.titleWith', { campaign: $('campaign-title').textContent || '' }) : I.t('page.title');
    renderCampaign();
    renderPreview();
    renderMine();
    renderFeed();
    renderEvents();
    if (state.campaign) document.title = I.t('page.titleWith', { campaign: $('campaign-title').textContent });
  }

  async function loadMyRecords() {
    // My RSVPs and my own stories (with their moderation state) are in my data export: nothing
    // else tells them, and it is mine to read.
    try {
      const mine = (await api('GET', '/v1/me/export')).body;
      state.rsvps = {};
      for (const rsvp of mine.rsvps || []) {
        if (rsvp.status === 'going' || rsvp.status === 'waiting') state.rsvps[rsvp.event_id] = { status: rsvp.status };
      }
      state.mine = (mine.posts || []).slice().reverse();
    } catch (e) {
      if (e.code === 'session_expired') throw e;
    }
  }

  async function start() {
    await I.load(I.choose());
    I.fillSwitcher($('language'), () => { if (state.campaign) renderAll(); else I.apply(); });
    I.apply();
    let session;
    try {
      session = (await api('GET', '/v1/session')).body;
    } catch (e) {
      if (e.status === 401) { showSignedOut(); return; }
      throw e;
    }
    state.csrf = session.csrf_token || null;
    show($('sign-out'), true);
    if (!(session.roles || []).includes('employee')) {
      // A leader's or HR admin's sign-in only: every action here would be refused. Say so instead.
      show($('content'), true);
      say('');
      show($('not-employee'), true);
      document.body.dataset.ready = 'true';
      return;
    }
    const list = (await api('GET', '/v1/campaigns')).body;
    state.campaigns = list.campaigns;
    show($('content'), true);
    say('');
    if (state.campaigns.length === 0) {
      show($('no-campaign'), true);
      document.body.dataset.ready = 'true';
      return;
    }
    await loadMyRecords();
    const select = $('campaign-select');
    for (const c of state.campaigns) {
      const option = document.createElement('option');
      option.value = c.slug;
      select.append(option);
    }
    show($('campaign-picker'), state.campaigns.length > 1);
    const wanted = new URLSearchParams(window.location.search).get('campaign');
    await openCampaign(wanted);
    select.value = state.campaign.slug;
    for (const id of ['campaign', 'story', 'feed', 'events']) show($(id), true);
    document.body.dataset.ready = 'true';
  }

  $('sign').addEventListener('click', sign);
  $('withdraw').addEventListener('click', withdraw);
  $('story-form').addEventListener('submit', sendStory);
  $('story-body').addEventListener('input', renderPreview);
  $('story-photo').addEventListener('change', renderPreview);
  $('story-remove-photo').addEventListener('click', () => { $('story-photo').value = ''; renderPreview(); $('story-photo').focus(); });
  $('more-stories').addEventListener('click', async () => {
    try { await loadFeed(true); renderFeed(); } catch (e) { fail(e); }
  });
  $('campaign-select').addEventListener('change', async () => {
    try {
      const url = new URL(window.location.href);
      url.searchParams.set('campaign', $('campaign-select').value);
      history.replaceState(null, '', url.pathname + url.search);
      await openCampaign($('campaign-select').value);
    } catch (e) { fail(e); }
  });
  $('sign-out').addEventListener('click', async () => {
    try { await api('DELETE', '/v1/session'); } catch (e) { /* signed out either way */ }
    window.location.replace('/dashboard/sign-in?page=employee');
  });

  start().catch((e) => { fail(e); document.body.dataset.ready = 'true'; });
})();
