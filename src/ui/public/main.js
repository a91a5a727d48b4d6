// The history page's entry point: its config, the live stream, and the routes
// (#/, #/event/<id>, #/deliveries, #/deliveries/<id>). Vanilla ES modules, no build step, nothing from elsewhere.
import * as deliveries from './deliveries.js';
import { $, api } from './dom.js';
import * as received from './received.js';
import { initTools } from './tools.js';

function setLive(state, text) {
  const live = $('live');
  live.dataset.state = state;
  live.textContent = text;
}

/** Server-Sent Events: history changes and delivery changes, resumed with Last-Event-ID after a drop. */
function connect() {
  if (!('EventSource' in window)) return setLive('off', 'no live updates');
  const source = new EventSource('/webhook/history/stream');
  const on = (name, handler) =>
    source.addEventListener(name, (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return; // a frame we do not understand is skipped
      }
      handler(data);
    });
  on('ready', () => setLive('live', 'live'));
  on('received', received.onEntry);
  on('rejected', received.onEntry);
  on('updated', received.onUpdate);
  on('cleared', received.onCleared);
  on('delivery', (record) => {
    deliveries.onDelivery(record);
    received.onDelivery(record);
  });
  on('reset', () => {
    setLive('live', 'live');
    received.onReset();
    deliveries.onReset();
  });
  source.addEventListener('error', () => setLive('reconnecting', 'reconnecting'));
  return undefined;
}

function route() {
  const hash = location.hash || '#/';
  const onDeliveries = hash.startsWith('#/deliveries');
  $('view-received').hidden = onDeliveries;
  $('view-deliveries').hidden = !onDeliveries;
  $(onDeliveries ? 'nav-deliveries' : 'nav-received').setAttribute('aria-current', 'page');
  $(onDeliveries ? 'nav-received' : 'nav-deliveries').removeAttribute('aria-current');
  deliveries.route(onDeliveries ? hash : null);
  if (!onDeliveries) received.route(hash);
}

async function init() {
  // The empty state and the replay form need it; the page still works without it.
  const config = await api('/ui/config').catch(() => ({}));
  deliveries.initDeliveries();
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.target.closest('input, select, textarea')) return;
    if (location.hash.startsWith('#/event/')) location.hash = '#/';
    else if (location.hash.startsWith('#/deliveries/')) location.hash = '#/deliveries';
  });
  window.addEventListener('hashchange', route);
  // The stream first, then the list: an event that arrives in between is merged by id, not lost.
  connect();
  await received.initReceived(config);
  route();
  void initTools();
}

void init();
