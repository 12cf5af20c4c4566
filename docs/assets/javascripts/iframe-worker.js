/* A Web Worker stand-in for pages opened from disk (file://), in the offline edition only.
 *
 * Chromium refuses `new Worker(url)` on a file:// page, and Material's search runs in a worker:
 * without this, the offline edition's search box would do nothing. This runs the worker's script
 * in a hidden same-origin iframe instead: messages to the "worker" are dispatched as `message`
 * events on the iframe's window, and the script's global `postMessage` sends them back here.
 * Material's search worker needs nothing else (no importScripts for English).
 *
 * Listed under extra.polyfills in mkdocs-offline.yml. The file name contains "iframe-worker" on
 * purpose: Material's offline plugin then does not add its own shim from a CDN (the book makes no
 * request to any outside host). Served over http(s) it does nothing.
 */
(function () {
  "use strict";
  if (location.protocol !== "file:") return;

  class FileWorker extends EventTarget {
    constructor(url) {
      super();
      this.onmessage = null;
      this.onerror = null;
      this._queue = [];
      this._ready = false;
      this._frame = document.createElement("iframe");
      this._frame.hidden = true;
      this._frame.tabIndex = -1;
      this._frame.setAttribute("aria-hidden", "true");
      (document.body || document.documentElement).appendChild(this._frame);
      const win = this._frame.contentWindow;
      this._win = win;
      // The worker script's `postMessage(data)` resolves to this on the iframe's window.
      win.postMessage = (data) => setTimeout(() => this._emit("message", structuredClone(data)));
      const script = win.document.createElement("script");
      script.src = new URL(url, location.href).href;
      script.onload = () => {
        this._ready = true;
        for (const data of this._queue.splice(0)) this.postMessage(data);
      };
      script.onerror = () => this._emit("error");
      win.document.head.appendChild(script);
    }

    _emit(type, data) {
      const event = type === "message" ? new MessageEvent("message", { data }) : new Event(type);
      const handler = type === "message" ? this.onmessage : this.onerror;
      if (typeof handler === "function") handler.call(this, event);
      this.dispatchEvent(event);
    }

    postMessage(data) {
      if (!this._ready) {
        this._queue.push(data);
        return;
      }
      const win = this._win;
      const copy = structuredClone(data);
      setTimeout(() => win.dispatchEvent(new win.MessageEvent("message", { data: copy })));
    }

    terminate() {
      this._frame.remove();
    }
  }

  window.Worker = FileWorker;
})();
