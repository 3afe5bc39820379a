/* Libraries the server left off this page's first load (dashboard/lazy_bundles.py): each inert
 * <script type="text/x-cv-lazy"> tag names a bundle and its components. Until a component of such a
 * library is rendered nothing is fetched; the first render loads the bundle (which defines
 * window[namespace] itself) and shows the real component. Dash's own async chunks work the same way. */
(function () {
  "use strict";
  var tags = document.querySelectorAll('script[type="text/x-cv-lazy"]');
  if (!tags.length || !window.React) { return; }
  var libraries = {};
  tags.forEach(function (tag) {
    var ns = tag.getAttribute("data-namespace");
    var lib = libraries[ns] || (libraries[ns] = { srcs: [], components: [] });
    lib.srcs.push(tag.getAttribute("data-src"));
    lib.components = (tag.getAttribute("data-components") || "").split(" ").filter(Boolean);
  });

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }

  Object.keys(libraries).forEach(function (ns) {
    if (window[ns]) { return; }
    var lib = libraries[ns];
    var loading = null;
    function load() {
      if (!loading) {
        loading = lib.srcs.reduce(function (prev, src) {
          return prev.then(function () { return loadScript(src); });
        }, Promise.resolve()).then(function () { return window[ns]; });
      }
      return loading;
    }
    var stubs = {};
    lib.components.forEach(function (type) {
      var Lazy = React.lazy(function () {
        return load().then(function (real) { return { default: real[type] }; });
      });
      stubs[type] = function LazyComponent(props) {
        return React.createElement(React.Suspense, { fallback: null }, React.createElement(Lazy, props));
      };
    });
    window[ns] = stubs;
  });
})();
