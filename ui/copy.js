// Copy the last answer (plain text, passed in from a hidden textbox) to the clipboard.
(text) => {
  if (!text) return;
  const fallback = () => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(fallback);
  } else {
    fallback();
  }
  const button = document.querySelector("#copy-answer");
  if (button) {
    button.classList.add("copied");
    setTimeout(() => button.classList.remove("copied"), 2500);
    // said to screen readers too, in a polite live region next to the button
    let status = document.querySelector("#copy-status");
    if (!status) {
      status = document.createElement("span");
      status.id = "copy-status";
      status.setAttribute("role", "status");
      status.className = "visually-hidden";
      button.insertAdjacentElement("afterend", status);
    }
    status.textContent = "Answer copied to the clipboard.";
  }
}
