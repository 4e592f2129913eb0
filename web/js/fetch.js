// One HTTP request for Python's browser.transport.FetchTransport, headers and body read here in JavaScript.
// Python awaits a single promise: with pyodide.http.pyfetch it awaited two (the headers, then the body), and each
// resumes Python through a fresh event-loop task, queued behind whatever the page is busy with (opening a record:
// the first frame of the new tab). Resolves to [status, headers as JSON (lower-case names), body as ArrayBuffer];
// rejects with the fetch's own error (the network, not an HTTP status).
window.caseworkFetch = async (url, method, headersJson, body) => {
  const response = await fetch(url, {
    method, headers: JSON.parse(headersJson), body: body ?? undefined, credentials: "same-origin",
  });
  const data = await response.arrayBuffer();
  return [response.status, JSON.stringify(Object.fromEntries(response.headers)), data];
};
