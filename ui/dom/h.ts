/** What `h` accepts as attributes: text, a present/absent flag, or an event listener (`onclick`). */
export type Attrs = Record<string, string | boolean | ((event: Event) => void)>;

/** A child of an element: strings become text nodes (never HTML); null and undefined are left out. */
export type Child = Node | string | null | undefined;

/**
 * Builds an element: `h('td', { class: 'x' }, 'text', child)`. Everything is written as text or
 * nodes, never as HTML, so server data cannot inject markup; listeners are attached as functions,
 * so the page runs under a CSP with no inline scripts and no eval.
 */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false) element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
};

/** Looks up an element of index.html's shell, which every page relies on. */
export const byId = (id: string): HTMLElement => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element;
};

/** Replaces what the page shows (the `<main>` of index.html). */
export const mount = (...children: Child[]) => {
  byId('main').replaceChildren(...children.filter((child): child is Node | string => child != null));
};
