// Knowledge search web resource: searches knowledge articles for ?data= (or what the agent types). Record text
// enters the page only as text nodes.
const query = document.getElementById("kb-query");
const status = document.getElementById("kb-status");
const results = document.getElementById("kb-results");

async function search(text) {
  results.replaceChildren();
  const q = text.trim();
  if (!q) {
    status.textContent = "Type words to search the knowledge base.";
    return;
  }
  if (window.origin === "null") {  // framed in a sandbox without this origin (as a website is): no API, no cookies
    status.textContent = `Knowledge search is not available in a sandboxed frame (asked for “${q}”).`;
    return;
  }
  status.textContent = "Searching…";
  const url = `../api/search?entities=knowledgearticle&top=10&q=${encodeURIComponent(q)}`;
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    status.textContent = "The server did not answer.";
    return;
  }
  if (!response.ok) {
    status.textContent = `The search failed (${response.status}).`;
    return;
  }
  const hits = (await response.json()).value;
  for (const hit of hits) {
    const item = document.createElement("li");
    item.textContent = hit.title;
    item.dataset.id = hit.id;
    results.append(item);
  }
  status.textContent = hits.length ? `${hits.length} article${hits.length === 1 ? "" : "s"} for “${q}”.`
    : `No knowledge articles for “${q}”.`;
}

document.getElementById("kb-form").addEventListener("submit", (event) => {
  event.preventDefault();
  search(query.value);
});
query.value = new URLSearchParams(location.search).get("data") || "";
search(query.value);
