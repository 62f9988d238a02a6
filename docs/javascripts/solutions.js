// The tutorials' exercise solutions (code cells tagged "solution", whose source Jupyter shows
// collapsed) start collapsed on the site too: each one's code goes inside a <details> element
// that the reader opens with a click. Its output stays visible, as in Jupyter.
function collapseSolutions() {
  document.querySelectorAll(".celltag_solution > .jp-Cell-inputWrapper").forEach((input) => {
    if (input.parentElement.closest("details.solution")) return;
    const details = document.createElement("details");
    details.className = "solution";
    const summary = document.createElement("summary");
    summary.textContent = "Solution (click to show the code)";
    details.appendChild(summary);
    input.replaceWith(details);
    details.appendChild(input);
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", collapseSolutions);
} else {
  collapseSolutions();
}
