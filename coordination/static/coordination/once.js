/* A form with a button[data-once] is sent once: the button is disabled on submit (the server's one-time token
   would refuse a second post anyway, this only spares the planner the question whether it went twice). */
document.querySelectorAll("form").forEach((form) => {
  const button = form.querySelector("button[data-once]");
  if (!button) return;
  form.addEventListener("submit", () => {
    // After the submit event, so that the button's own value is still sent.
    window.setTimeout(() => { button.disabled = true; button.setAttribute("aria-disabled", "true"); }, 0);
  });
});
