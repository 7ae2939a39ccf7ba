// Builds elements from data without ever parsing it as HTML: API text is always text.

const SVG = "http://www.w3.org/2000/svg";

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

export function mount(target, ...children) {
  target.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
}

let statusTimer = 0;

// A short message in the polite live region (screen readers announce it).
export function announce(message, kind = "info") {
  const region = document.getElementById("status");
  region.textContent = message;
  region.dataset.kind = kind;
  region.classList.add("shown");
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => region.classList.remove("shown"), 6000);
}

// The live region emptied: a message belongs to the page that said it.
export function quiet() {
  const region = document.getElementById("status");
  clearTimeout(statusTimer);
  region.classList.remove("shown");
  region.textContent = "";
}
