// Runs before first paint (a classic script in <head>, allowed by the CSP's script-src 'self'):
// applies the theme the shopper chose, so the page never flashes the other one.
(function () {
  try {
    var saved = localStorage.getItem("vitrine-theme");
    if (saved === "dark" || saved === "light") document.documentElement.dataset.theme = saved;
  } catch (e) { /* storage blocked: follow the system setting */ }
})();
