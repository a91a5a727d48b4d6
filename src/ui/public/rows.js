// A table body whose rows are keyed by id: an update touches only the row it is about (no re-render of the
// list), and the rows form one Tab stop (a roving tabindex: arrows, Home and End move within the list).
import { el } from './dom.js';

/**
 * @param tbody the <tbody> to manage
 * @param view `render(item)`: the row's cells; `signature(item)`: a string that changes when the row would look
 *   different; `label(item)`: the row's accessible name; `open(id)`: Enter, Space or a click on a row
 */
export function keyedRows(tbody, view) {
  const rows = new Map(); // id -> <tr>, exactly the rows shown
  let stop = null; // id of the row that holds the list's one Tab stop
  let selected = null;

  function patch(row, item) {
    const signature = view.signature(item);
    if (row.dataset.signature === signature) return;
    row.dataset.signature = signature;
    row.replaceChildren(...view.render(item));
    row.setAttribute('aria-label', view.label(item));
  }

  function create(item) {
    const row = el('tr');
    row.dataset.id = item.id;
    row.tabIndex = -1;
    row.setAttribute('aria-selected', String(item.id === selected));
    patch(row, item);
    rows.set(item.id, row);
    return row;
  }

  /** Exactly one row is reachable with Tab: the last one focused or selected, else the first. */
  function syncTabStop() {
    if (stop === null || !rows.has(stop)) stop = tbody.firstElementChild ? tbody.firstElementChild.dataset.id : null;
    for (const [id, row] of rows) row.tabIndex = id === stop ? 0 : -1;
  }

  function focusRow(row) {
    if (!row) return;
    stop = row.dataset.id;
    syncTabStop();
    row.focus();
  }

  tbody.addEventListener('click', (event) => {
    const row = event.target.closest('tr');
    if (row && rows.has(row.dataset.id) && !event.target.closest('a, button')) view.open(row.dataset.id);
  });
  tbody.addEventListener('focusin', (event) => {
    const row = event.target.closest('tr');
    if (row && row.dataset.id !== stop) {
      stop = row.dataset.id;
      syncTabStop();
    }
  });
  tbody.addEventListener('keydown', (event) => {
    const row = event.target.closest('tr');
    if (!row || event.target !== row) return;
    const moves = {
      ArrowDown: () => row.nextElementSibling,
      ArrowUp: () => row.previousElementSibling,
      Home: () => tbody.firstElementChild,
      End: () => tbody.lastElementChild,
    };
    if (moves[event.key]) {
      event.preventDefault();
      focusRow(moves[event.key]());
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      view.open(row.dataset.id);
    }
  });

  return {
    has: (id) => rows.has(id),
    get size() {
      return rows.size;
    },
    /** Ids in display order. */
    ids: () => [...tbody.children].map((row) => row.dataset.id),

    /** Updates the row if shown and changed; adds it at the top (`'top'`) or bottom (`'bottom'`) if not shown. */
    upsert(item, where) {
      const known = rows.get(item.id);
      if (known) return void patch(known, item);
      if (!where) return;
      const row = create(item);
      if (where === 'top') {
        tbody.prepend(row);
        row.classList.add('fresh');
        row.addEventListener('animationend', () => row.classList.remove('fresh'), { once: true });
      } else {
        tbody.append(row);
      }
      syncTabStop();
    },

    remove(id) {
      const row = rows.get(id);
      if (!row) return;
      const hadFocus = row === document.activeElement;
      const neighbour = row.nextElementSibling || row.previousElementSibling;
      rows.delete(id);
      row.remove();
      if (hadFocus) focusRow(neighbour);
      else syncTabStop();
    },

    /** Shows exactly `items`, in order, reusing the rows already there. */
    replaceAll(items) {
      const keep = new Set(items.map((item) => item.id));
      for (const id of [...rows.keys()]) if (!keep.has(id)) this.remove(id);
      let cursor = tbody.firstElementChild;
      for (const item of items) {
        const row = rows.get(item.id) || create(item);
        patch(row, item);
        if (row === cursor) cursor = cursor.nextElementSibling;
        else tbody.insertBefore(row, cursor);
      }
      syncTabStop();
    },

    select(id) {
      if (selected !== null && rows.has(selected)) rows.get(selected).setAttribute('aria-selected', 'false');
      selected = id;
      if (id === null || !rows.has(id)) return;
      rows.get(id).setAttribute('aria-selected', 'true');
      stop = id;
      syncTabStop();
    },

    /** Moves focus to a row (back from a closed detail pane). */
    focus(id) {
      focusRow(rows.get(id));
    },
  };
}
