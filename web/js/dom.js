// Builds a DOM tree from one nested array, for Python's browser.dom.build: one call from Python instead of one per
// element, attribute and child (each Python→JS call costs microseconds in Pyodide; a form has hundreds).
// A node is [tag, attrs, ...children] (tag "": a DocumentFragment, for several siblings). attrs is an object or
// null: null, undefined and false values are skipped, true sets an empty attribute, "$ref" names the element in the
// returned refs instead of becoming an attribute. A child is a node, a list of children (which must not start with
// a string: that would read as a node), a string or number (a text node: text is never parsed as HTML), an
// existing DOM node, or null/undefined (skipped). Only createElement, setAttribute, createTextNode and appendChild.

function buildNode(spec, refs) {
  const element = spec[0] === "" ? document.createDocumentFragment() : document.createElement(spec[0]);
  const attrs = spec[1];
  if (attrs) {
    for (const name in attrs) {
      const value = attrs[name];
      if (value === null || value === undefined || value === false) continue;
      if (name === "$ref") refs[value] = element;
      else element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (let index = 2; index < spec.length; index++) appendChild(element, spec[index], refs);
  return element;
}

function appendChild(parent, child, refs) {
  if (child === null || child === undefined) return;
  if (Array.isArray(child)) {
    if (typeof child[0] === "string") parent.appendChild(buildNode(child, refs));
    else for (const item of child) appendChild(parent, item, refs);  // a list of children
  } else if (typeof child === "string" || typeof child === "number") {
    parent.appendChild(document.createTextNode(String(child)));
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    throw new TypeError(`caseworkDom.build: cannot append ${Object.prototype.toString.call(child)}`);
  }
}

window.caseworkDom = Object.freeze({
  /** Build `spec`; returns {root, refs} (refs: the elements named by "$ref"). */
  build(spec) {
    const refs = {};
    return { root: buildNode(spec, refs), refs };
  },
  /** The same from JSON text (one string crosses from Python, parsed here); {"$node": i} stands for nodes[i]. */
  buildJson(text, nodes) {
    const refs = {};
    const spec = JSON.parse(text, (key, value) =>
      value !== null && typeof value === "object" && !Array.isArray(value) && "$node" in value
        ? nodes[value.$node] : value);
    return { root: buildNode(spec, refs), refs };
  },
});
