// IndexedDB for the static demo's record overlay (Python: browser.static_data.IndexedDBKeyValue), as three
// promise-returning calls over one object store of text values. Loaded by the static build's index.html only.
const DB = "casework-demo";
const STORE = "overlay";
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => { db.close(); opening = null; }; // another tab deletes or upgrades it
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

function run(mode, work) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result.value);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  }));
}

window.caseworkIdb = {
  // All entries as a JSON object text {key: text}.
  items: () => run("readonly", (store) => {
    const out = { value: "{}" };
    const keys = store.getAllKeys();
    const values = store.getAll();
    values.onsuccess = () => {
      const entries = {};
      keys.result.forEach((key, i) => { entries[key] = values.result[i]; });
      out.value = JSON.stringify(entries);
    };
    return out;
  }),
  put: (key, text) => run("readwrite", (store) => { store.put(text, key); return { value: null }; }),
  clear: () => run("readwrite", (store) => { store.clear(); return { value: null }; }),
};
