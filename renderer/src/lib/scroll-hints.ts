// A strip that scrolls sideways (the open workflows' tabs) says when there is more beyond an edge:
// `data-more-left` / `data-more-right` on the element (the view fades that edge), kept current on
// scroll, resize and when its children change. A vertical wheel scrolls it sideways, and the
// selected child (aria-selected) is brought into view when it changes.
import type { Action } from 'svelte/action';

export const scrollHints: Action<HTMLElement> = (el) => {
  const update = (): void => {
    const max = el.scrollWidth - el.clientWidth;
    el.toggleAttribute('data-more-left', el.scrollLeft > 1);
    el.toggleAttribute('data-more-right', max - el.scrollLeft > 1);
  };
  const reveal = (): void => {
    const selected = el.querySelector<HTMLElement>('[aria-selected="true"]');
    const item = (selected?.parentElement !== el ? selected?.parentElement : selected) ?? null;
    if (!item) return;
    const left = item.offsetLeft - el.offsetLeft;
    const pad = 32; // past the fade
    if (left < el.scrollLeft + pad) el.scrollLeft = Math.max(0, left - pad);
    else if (left + item.offsetWidth > el.scrollLeft + el.clientWidth - pad)
      el.scrollLeft = left + item.offsetWidth - el.clientWidth + pad;
  };
  const onwheel = (event: WheelEvent): void => {
    if (el.scrollWidth <= el.clientWidth || Math.abs(event.deltaX) > Math.abs(event.deltaY)) return;
    el.scrollLeft += event.deltaY;
    event.preventDefault();
  };
  const resize = new ResizeObserver(update);
  resize.observe(el);
  const mutations = new MutationObserver(() => {
    reveal();
    update();
  });
  mutations.observe(el, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-selected'] });
  el.addEventListener('scroll', update, { passive: true });
  el.addEventListener('wheel', onwheel, { passive: false });
  reveal();
  update();
  return {
    destroy() {
      resize.disconnect();
      mutations.disconnect();
      el.removeEventListener('scroll', update);
      el.removeEventListener('wheel', onwheel);
    },
  };
};
