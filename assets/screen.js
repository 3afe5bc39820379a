/* Big screen: clientside callbacks (clock, rotation, mode, drill) and Leaflet style functions.
   Everything local; no network. */
(function () {
  "use strict";
  var noUpdate = function () { return window.dash_clientside.no_update; };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cityVitals: {
      fitOnce: function (bounds) {
        // The first paint's map: fit the jurisdiction once the grid has given the map its size.
        if (!bounds) { return noUpdate(); }
        return new Promise(function (resolve) {
          requestAnimationFrame(function () {
            setTimeout(function () {
              resolve({bounds: bounds, transition: "fitBounds", options: {padding: [12, 12], animate: false}});
            }, 50);
          });
        });
      },
      clock: function (n, cfg) {
        var tz = (cfg && cfg.timezone) || "Asia/Shanghai";
        var loc = cfg && cfg.lang === "en" ? "en-GB" : "zh-CN";
        var d = new Date();
        // English names the month ("Mon, 7 Dec 2026", as the desk pages write dates): "07/12/2026" reads as
        // July 12th to half of its readers
        var date = new Intl.DateTimeFormat(loc, {timeZone: tz, year: "numeric",
                                                  month: loc === "en-GB" ? "short" : "2-digit",
                                                  day: loc === "en-GB" ? "numeric" : "2-digit",
                                                  weekday: "short"}).format(d);
        var time = new Intl.DateTimeFormat(loc, {timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit",
                                                  hour12: false}).format(d);
        return date + "  " + time;
      },
      rotate: function (n, mode, cfg) {
        cfg = cfg || {};
        var labels = cfg.labels || {};
        var list = (cfg.playlist || ["overview"]).slice();
        var view;
        if (mode === "emergency") {
          view = "emergency";
        } else {
          if (list.length === 1 && list[0] === "emergency") { list = ["overview"]; }
          view = list[(n || 0) % list.length];
        }
        var cls = "cv-screen view-" + view + " mode-" + (mode || "normal") + (cfg.kiosk ? " is-kiosk" : "");
        // Leaflet and Plotly measure their boxes on window resize: tell them the grid changed.
        setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 60);
        return [cls, (labels.view || {})[view] || view, (labels.mode || {})[mode] || mode];
      },
      toggleMode: function (n, mode) {
        return mode === "emergency" ? "normal" : "emergency";
      },
      drill: function (click, back, returned, scope, parent, cfg) {
        var ctx = window.dash_clientside.callback_context;
        var trig = ctx && ctx.triggered && ctx.triggered.length ? ctx.triggered[0].prop_id : "";
        if (trig.indexOf("scr-map-back") === 0) { return parent || noUpdate(); }
        // the return timer: back to the wall's own scope (null = the configured unit)
        if (trig.indexOf("scr-map-return-tick") === 0) {
          var home = (cfg && cfg.unit) || null;
          return scope !== home ? home : noUpdate();
        }
        var props = click && (click.properties || (click.feature && click.feature.properties));
        if (props && props.drill && props.unit_code && props.unit_code !== scope) { return props.unit_code; }
        return noUpdate();
      },
      // arm the return timer while the map shows another scope than the wall's (disarm at home);
      // re-arming on every drill restarts the count
      armReturn: function (scope, cfg) {
        var home = (cfg && cfg.unit) || null;
        return !scope || scope === home || !(cfg && cfg.drill_return_seconds > 0);
      }
    }
  });

  window.cityVitals = {
    unitStyle: function (feature) {
      var p = feature.properties || {};
      return {className: "scr-unit", fillColor: p.fill || "#3a4654", fillOpacity: 0.78, color: "#9fd3ff", weight: 1.2, opacity: 0.8,
              dashArray: p.approximate ? "4 3" : null};
    },
    unitHover: function () {
      return {weight: 3, color: "#ffffff", fillOpacity: 0.9};
    },
    unitLabel: function (feature, latlng) {
      // the name as text content (a unit name is data: never parsed as HTML), not clickable, in the
      // shadow pane: above the polygons, under the markers
      var el = document.createElement("span");
      el.textContent = (feature.properties || {}).label || "";
      return L.marker(latlng, {icon: L.divIcon({className: "scr-unit-label", html: el, iconSize: null}),
                               interactive: false, keyboard: false, pane: "shadowPane"});
    },
    markerPoint: function (feature, latlng) {
      var p = feature.properties || {};
      // colour by class (assets/screen.css .scr-marker.is-*, the legend uses the same classes); in
      // Leaflet's marker pane, above the overlay pane, so redrawn unit polygons never cover a marker
      var kind = p.kind === "case" ? "is-case" : (p.severity === "alarm" ? "is-alarm" : "is-warning");
      // sized in wall units like the text (9 px at 1080p, 18 px at 4K)
      var u = Math.max(1, Math.min(window.innerWidth / 1920, window.innerHeight / 1080));
      return L.circleMarker(latlng, {className: "scr-marker " + kind, pane: "markerPane", radius: 9 * u,
                                     color: "#101820", weight: 2 * u, fillOpacity: 0.95});
    }
  };

  // Kiosk: no context menu and no history navigation by a stray key.
  document.addEventListener("contextmenu", function (e) {
    if (document.querySelector(".cv-screen.is-kiosk")) { e.preventDefault(); }
  });
  document.addEventListener("keydown", function (e) {
    if (!document.querySelector(".cv-screen.is-kiosk")) { return; }
    var nav = (e.altKey && (e.key === "ArrowLeft" || e.key === "ArrowRight")) || e.key === "Backspace" ||
              e.key === "F5" || (e.ctrlKey && (e.key === "r" || e.key === "w"));
    if (nav) { e.preventDefault(); }
  });
})();
