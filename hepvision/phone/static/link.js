// The landmark WebSocket with a durable outbox: every message (frames and the patient's
// answers) is numbered, kept in IndexedDB until the server has applied it, and sent again
// after a reconnection. The server applies each number once, in order (hepvision.phone.wire).
// A connection is given up (and opened again) when the browser goes offline, or when the
// server has not answered for STALL_MS although messages are waiting: a phone that loses its
// network often keeps a dead socket open for minutes. On `hepvision app` (the patient's own
// machine, over loopback) the outbox stays in memory: ``durable: false``.

const DB_NAME = 'hepvision-phone';
const STORE = 'outbox';
const STALL_MS = 4000;
const RETRY_MS = 1000;

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'seq' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class Link {
  /**
   * ``hello``: what the first message of each connection says besides its type and the
   * session to resume ({token} on the therapist's server, {pose, exercise} on the app).
   */
  constructor(hello, onMessage, onOnline, { durable = true } = {}) {
    this.hello = hello;
    this.durable = durable;
    this.onMessage = onMessage;
    this.onOnline = onOnline;  // (bool) => void
    this.sessionId = null;
    this.seq = 0;
    this.queue = [];  // [{seq, data}] not yet applied by the server
    this.ws = null;
    this.ready = false;
    this.closed = false;
    this.bytesSent = 0;
    this.db = null;
    this.connections = 0;
    this.lastHeardMs = performance.now();
    this._retry = null;
    window.addEventListener('offline', () => this._drop());
    window.addEventListener('online', () => { if (!this.ws && !this.closed) this._reconnect(0); });
    this._watch = setInterval(() => {
      if (this.ready && this.queue.length && performance.now() - this.lastHeardMs > STALL_MS) this._drop();
    }, 500);
  }

  _drop() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.ready = false;
    ws.close();
    this.onOnline(false);
    this._reconnect(RETRY_MS);
  }

  _reconnect(delayMs) {
    clearTimeout(this._retry);
    this._retry = setTimeout(() => {
      if (this.ws || this.closed) return;
      this._connect().catch(() => this._reconnect(RETRY_MS));
    }, delayMs);
  }

  async open() {
    // no IndexedDB (private mode): memory only
    this.db = this.durable ? await openDb().catch(() => null) : null;
    if (this.db) await this._clearDb();
    await this._connect();
  }

  nextSeq() { return this.seq++; }

  /** Queue a message (ArrayBuffer frame or control object with its seq) and send it. */
  send(seq, data) {
    const entry = { seq, data: typeof data === 'string' || data instanceof ArrayBuffer ? data : JSON.stringify(data) };
    this.queue.push(entry);
    if (this.db) this.db.transaction(STORE, 'readwrite').objectStore(STORE).put(entry);
    if (this.ready) this._put(entry);
  }

  control(msg) {
    const seq = this.nextSeq();
    this.send(seq, JSON.stringify({ ...msg, seq }));
  }

  close() {
    this.closed = true;
    clearTimeout(this._retry);
    clearInterval(this._watch);
    this.ws?.close();
  }

  get pending() { return this.queue.length; }

  /** How many messages IndexedDB holds for the server (a promise). */
  stored() {
    if (!this.db) return Promise.resolve(0);
    return new Promise((resolve) => {
      const req = this.db.transaction(STORE, 'readonly').objectStore(STORE).count();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(0);
    });
  }

  _put(entry) {
    const size = typeof entry.data === 'string' ? entry.data.length : entry.data.byteLength;
    this.bytesSent += size;
    this.ws.send(entry.data);
  }

  _ack(seq) {
    let n = 0;
    while (n < this.queue.length && this.queue[n].seq <= seq) n += 1;
    if (n === 0) return;
    this.queue.splice(0, n);
    if (this.db) this.db.transaction(STORE, 'readwrite').objectStore(STORE).delete(IDBKeyRange.upperBound(seq));
  }

  _clearDb() {
    return new Promise((resolve) => {
      const tx = this.db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).clear();
      tx.oncomplete = () => resolve();
      tx.onerror = () => resolve();
    });
  }

  _connect() {
    return new Promise((resolve, reject) => {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${location.host}/phone/ws`);
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      this.connections += 1;
      let opened = false;
      ws.addEventListener('open', () => {
        ws.send(JSON.stringify({ type: 'hello', ...this.hello, session_id: this.sessionId }));
      });
      ws.addEventListener('message', (ev) => {
        if (this.ws !== ws) return;  // a connection given up
        this.lastHeardMs = performance.now();
        const msg = JSON.parse(ev.data);
        if (msg.type === 'session') {
          this.sessionId = msg.session_id;
          this._ack(msg.received);
          this.ready = true;
          opened = true;
          this.onOnline(true);
          for (const entry of this.queue) this._put(entry);
          resolve(msg);
        } else if (msg.seq !== undefined) {
          this._ack(msg.seq);
        }
        this.onMessage(msg);
      });
      ws.addEventListener('close', (ev) => {
        if (!opened) reject(new Error(ev.reason || 'cannot reach the server'));
        if (this.ws !== ws) return;  // already given up and replaced
        this.ws = null;
        this.ready = false;
        if (this.closed || ev.code === 4401) return;
        this.onOnline(false);
        if (opened) this._reconnect(RETRY_MS);
      });
    });
  }
}
