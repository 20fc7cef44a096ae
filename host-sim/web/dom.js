// Building the page's elements, its error boxes, and event handlers that report
// what they throw instead of losing it.
import { messageOf } from './format.js';

export const byId = (id) => document.getElementById(id);

export function make(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

/** One of the page's error boxes: the detections' (ids "error-...") or the model card's ("model-error-..."). */
export function errorBoxOf(prefix) {
  const box = byId(`${prefix}error-box`);
  const origin = byId(`${prefix}error-origin`), code = byId(`${prefix}error-code`), message = byId(`${prefix}error-message`);
  byId(`${prefix}error-close`).addEventListener('click', () => { box.hidden = true; });
  return {
    /** Show an error from the API (origin "HTTP 400") or from the page itself (origin "page"). */
    show(error, where) {
      origin.textContent = where;
      code.textContent = error.code;
      message.textContent = error.message;
      box.hidden = false;
    },
    hide() {
      box.hidden = true;
    },
  };
}

/** Run an event handler; whatever it throws is shown in `errors` (an error box), so the page keeps working. */
export function guarded(handler, errors) {
  return (...args) => {
    Promise.resolve().then(() => handler(...args)).catch((error) => {
      errors.show({ code: 'PAGE_ERROR', message: messageOf(error) }, 'page');
    });
  };
}
