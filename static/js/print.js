// The "Print" buttons of printable pages (an inline onclick would need its own CSP nonce).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
