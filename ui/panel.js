// js_on_load of a sources panel (a gr.HTML). `element`, `trigger` and `watch` come from Gradio.
// Two panels use it: the chat's (#sources-column), which opens any citation link on the page
// (href="#cite-<turn>-q-<j>"), and the Briefing tab's (#brief-column), which opens the
// briefing's [n] links (href="#brief-src-<n>"; in a downloaded briefing page they still jump
// to its source list). A click asks Python for the article, the quote highlighted in it.
const COLUMNS = "#sources-column, #brief-column";
const kind = () => {
  const column = element.closest(COLUMNS);
  if (!column) return null;
  return column.id === "brief-column"
    ? { column, links: '#brief-out a.cite[href^="#brief-src-"]', prefix: "#brief-src-" }
    : { column, links: 'a[href^="#cite-"]', prefix: "#cite-" };
};
const openCitation = (event) => {
  const mine = kind();
  const link = mine && event.target instanceof Element ? event.target.closest(mine.links) : null;
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  document.querySelectorAll(mine.links).forEach((a) => a.classList.remove("active"));
  link.classList.add("active");
  trigger("click", { ref: link.getAttribute("href").slice(mine.prefix.length) });
};
// On phones the article opens far below the citation: its "Back to the citation" button
// scrolls back up to the link that opened it.
element.addEventListener("click", (event) => {
  const back = event.target instanceof Element ? event.target.closest(".back-to-cite") : null;
  const mine = back ? kind() : null;
  if (!mine) return;
  const link = [...document.querySelectorAll(mine.links)].find((a) => a.classList.contains("active"));
  if (!link) return;
  link.scrollIntoView({ behavior: "smooth", block: "center" });
  link.focus({ preventScroll: true });
});
// One listener per panel (keyed by its column: Gradio gives the element a new id on each
// mount), replaced when Gradio mounts the panel again.
const column = element.closest(COLUMNS);
const key = `__citations_${column ? column.id : Math.random()}`;  // never one panel's for both
if (window[key]) document.removeEventListener("click", window[key], true);
window[key] = openCitation;
document.addEventListener("click", openCitation, true);

// After the panel shows an article, bring the highlighted quote into view. Side by side with
// the chat or briefing (wide screens) the sticky column scrolls by itself, a third of the way
// down; stacked below it (phones, ~390 px) the page scrolls to the highlight, which would
// otherwise load far below the citation that was clicked.
// A new answer's passage list (no highlight) starts at its top, not where the last article
// was scrolled to.
watch("value", () => {
  const mine = kind();
  if (!mine) return;
  const column = mine.column;
  const mark = element.querySelector("mark.cited, mark.passage");
  if (!mark) {
    column.scrollTo({ top: 0 });
    return;
  }
  const box = column.getBoundingClientRect();
  const beside = box.top >= 0 && box.bottom <= window.innerHeight + 1 &&
    column.scrollHeight > column.clientHeight;
  if (beside) {
    const top = mark.getBoundingClientRect().top - box.top;
    column.scrollTo({ top: column.scrollTop + top - column.clientHeight / 3, behavior: "smooth" });
  } else {
    mark.scrollIntoView({ behavior: "smooth", block: "center" });
  }
});
