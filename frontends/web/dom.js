// The page builds its DOM node by node: no string ever becomes HTML (the policy requires
// Trusted Types and allows none), so text from the network cannot become markup.

const SVG = "http://www.w3.org/2000/svg";

/** The page's element of this id. */
export const $ = (id) => document.getElementById(id);

/** An element with attributes (`class`, `for`, `aria-*`, ...) and children (nodes or text). */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, as `h`. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG, tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** `el` emptied and given `children`. */
export function replace(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  return el;
}
