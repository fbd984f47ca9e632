// Run once on page load (mount_gradio_app js=). Keeps the asked question in view: when a new
// question appears in the chat, and again when its answer arrives, the chat scrolls so that the
// question sits at the top of the chat (the answer below it), instead of scrolling to the end of
// the answer. Gradio's own autoscroll is off (gr.Chatbot(autoscroll=False)).
() => {
  let pinned = "";
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const y = getComputedStyle(p).overflowY;
      if ((y === "auto" || y === "scroll") && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  const pin = () => {
    const chat = document.querySelector("#chat");
    const questions = chat ? chat.querySelectorAll(".question") : [];
    if (!questions.length) {
      pinned = "";
      return;
    }
    const answers = chat.querySelectorAll(".answer");
    const last = answers[answers.length - 1];
    const done = answers.length >= questions.length && last && !last.matches(".streaming") &&
      !last.querySelector(".pending");
    const state = `${questions.length}:${done ? "done" : "waiting"}`;
    if (state === pinned) return;
    pinned = state;
    const question = questions[questions.length - 1];
    const box = scroller(question);
    if (box) {
      const gap = question.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop += gap - 8;
    }
    const top = question.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 60) {  // the chat itself is off screen (phones)
      window.scrollBy(0, top - 8);
    }
  };
  new MutationObserver(() => requestAnimationFrame(pin)).observe(document.body, {
    childList: true,
    subtree: true,
  });
}
