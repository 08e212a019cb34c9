/* The public dashboard: plain JavaScript, no build step. Figures come from /dashboard/api (the same
   report module as the staff SLA report); every figure links to the bulk export that reproduces it.
   One page per city: /dashboard/?jurisdiction_id=ID; without one, the city the server answers for (its
   only one, or DEFAULT_JURISDICTION), else a choice of the cities it hosts. Every call and every link
   names the city, so a server hosting several answers each. */
(function () {
  'use strict';
  var state = { map: null, areas: null, points: null, chart: null, config: null, jurisdiction: null };
  var $ = function (id) {
    return document.getElementById(id);
  };
  var pct = function (v) {
    return v === null || v === undefined ? '–' : Math.round(v * 1000) / 10 + '%';
  };
  var num = function (v) {
    return v === null || v === undefined ? '–' : String(v);
  };

  function isoDay(d) {
    return d.toISOString().slice(0, 10);
  }
  /** The city's parameter, first in every query this page sends or links to. */
  function city() {
    return 'jurisdiction_id=' + encodeURIComponent(state.jurisdiction);
  }
  function query() {
    return (
      city() +
      '&start_date=' +
      encodeURIComponent($('start').value) +
      '&end_date=' +
      encodeURIComponent($('end').value)
    );
  }
  function dashboardLink(id) {
    return '/dashboard/?jurisdiction_id=' + encodeURIComponent(id);
  }
  function exportLink(extra) {
    return '/open311/v2/bulk/requests.csv?' + query() + (extra || '');
  }
  function getJson(url) {
    return fetch(url).then(function (r) {
      if (!r.ok)
        return r.json().then(function (e) {
          throw new Error(e[0] ? e[0].description : r.statusText);
        });
      return r.json();
    });
  }
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    return e;
  }
  function linkCell(text, href) {
    var td = el('td');
    var a = el('a', text, { href: href });
    td.appendChild(a);
    return td;
  }

  function card(term, value, href) {
    var div = el('div');
    div.appendChild(el('dt', term));
    var dd = el('dd');
    dd.appendChild(el('a', value, { href: href }));
    div.appendChild(dd);
    return div;
  }

  function renderCards(s) {
    var t = s.totals;
    var cards = $('cards');
    cards.textContent = '';
    var sat = t.satisfaction;
    [
      ['Requests received', num(t.received), exportLink()],
      ['Closed', num(t.closed), exportLink('&status=closed')],
      ['Closed within response level', pct(t.on_time_share), exportLink('&status=closed')],
      ['Median days to close', num(t.median_days_to_close), exportLink('&status=closed')],
      ['Open backlog', num(t.open_backlog), exportLink('&status=open')],
      ['Overdue', num(t.overdue), exportLink('&status=open')],
      [
        'Rating 3 or better (goal 85%)',
        sat ? pct(sat.share_service_3_or_better) : 'no surveys yet',
        '/dashboard/api/summary?' + query(),
      ],
    ].forEach(function (c) {
      cards.appendChild(card(c[0], c[1], c[2]));
    });
    var spread = $('spread');
    if (s.layer === null) {
      spread.textContent = 'This city has no areas set up yet: the figures are for the whole city.';
    } else if (s.spread.best && s.spread.worst) {
      spread.textContent =
        'Best served area: ' +
        s.spread.best.group +
        ' (' +
        pct(s.spread.best.on_time_share) +
        ' on time). Worst: ' +
        s.spread.worst.group +
        ' (' +
        pct(s.spread.worst.on_time_share) +
        '). The gap is ' +
        Math.round(s.spread.gap * 1000) / 10 +
        ' percentage points.';
    } else {
      spread.textContent = 'Not enough closed requests in this period to compare areas.';
    }
    $('export-link').href = exportLink();
  }

  function renderTable(id, rows, firstHeader, filterFor) {
    var table = $(id);
    var caption = table.querySelector('caption');
    table.textContent = '';
    table.appendChild(caption);
    var head = el('thead');
    var tr = el('tr');
    [firstHeader, 'Received', 'Closed', 'On time', 'Median days', 'Open', 'Overdue', 'Rating 3+'].forEach(
      function (h) {
        tr.appendChild(el('th', h, { scope: 'col' }));
      },
    );
    head.appendChild(tr);
    table.appendChild(head);
    var body = el('tbody');
    // Natural order, so Ward 2 comes before Ward 10.
    var sorted = rows.slice().sort(function (a, b) {
      return String(a.group).localeCompare(String(b.group), 'en', { numeric: true, sensitivity: 'base' });
    });
    sorted.forEach(function (r) {
      var row = el('tr');
      row.appendChild(el('th', r.group, { scope: 'row' }));
      var link = exportLink(filterFor(r.group));
      row.appendChild(linkCell(num(r.received), link));
      row.appendChild(el('td', num(r.closed)));
      row.appendChild(el('td', pct(r.on_time_share), { 'data-group': r.group, class: 'on-time' }));
      row.appendChild(el('td', num(r.median_days_to_close)));
      row.appendChild(el('td', num(r.open_backlog)));
      row.appendChild(el('td', num(r.overdue)));
      row.appendChild(el('td', pct(r.satisfaction_share)));
      body.appendChild(row);
    });
    table.appendChild(body);
  }

  function colour(share) {
    if (share === null || share === undefined) return '#bdbdbd';
    if (share >= 0.85) return '#1a7f37';
    if (share >= 0.7) return '#7aa62b';
    if (share >= 0.5) return '#d4a017';
    return '#c0392b';
  }

  /** `layer` null: the city has no district layers (the boundary, if any, and the points only). */
  function renderMap(s, layer) {
    if (!state.map) {
      state.map = L.map('map', { keyboard: true, zoomSnap: 0.25 });
      if (state.config.tile_url)
        L.tileLayer(state.config.tile_url, {
          maxZoom: 19,
          attribution:
            'Base map © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        }).addTo(state.map);
      getJson('/dashboard/api/layers/boundary.geojson?' + city()).then(function (b) {
        var boundary = L.geoJSON(b, { style: { color: '#333', weight: 2, fill: false } }).addTo(state.map);
        if (b.features.length) state.map.fitBounds(boundary.getBounds());
      });
    }
    var shares = {};
    s.by_district.forEach(function (d) {
      shares[d.group] = d.on_time_share;
    });
    var areas =
      layer === null
        ? Promise.resolve({ type: 'FeatureCollection', features: [] })
        : getJson('/dashboard/api/layers/' + encodeURIComponent(layer) + '.geojson?' + city());
    areas.then(function (fc) {
      if (state.areas) state.areas.remove();
      state.areas = L.geoJSON(fc, {
        style: function (f) {
          return {
            color: '#555',
            weight: 1,
            fillColor: colour(shares[f.properties.name]),
            fillOpacity: 0.45,
          };
        },
        onEachFeature: function (f, l) {
          // A district name is data, not markup: Leaflet renders a string tooltip as HTML, an element as is.
          l.bindTooltip(el('span', f.properties.name + ': ' + pct(shares[f.properties.name]) + ' on time'));
        },
      }).addTo(state.map);
      if ((!state.map.getCenter || !state.map._loaded) && fc.features.length)
        state.map.fitBounds(state.areas.getBounds());
      $('map').setAttribute('data-features', String(fc.features.length));
      $('map').setAttribute('data-layer', layer || '');
    });
    getJson('/dashboard/api/points.geojson?' + query()).then(function (fc) {
      if (state.points) state.points.remove();
      state.points = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, {
            radius: 3,
            weight: 0,
            fillOpacity: 0.7,
            fillColor: f.properties.status === 'open' ? '#0b4f8a' : '#666',
          });
        },
        onEachFeature: function (f, marker) {
          // An element, never HTML text (Leaflet renders a string as markup); filled when first opened.
          marker.bindPopup(el('div', null, { class: 'point-popup' }));
          marker.on('popupopen', function (e) {
            fillPopup(e.popup.getContent(), f);
          });
        },
      }).addTo(state.map);
      // No boundary and no areas to frame the map (a city with no geography yet): the points do.
      if (!state.map._loaded && fc.features.length) state.map.fitBounds(state.points.getBounds());
    });
    $('legend').textContent =
      (layer === null
        ? ''
        : 'Areas shaded by on-time share: green 85% or more, light green 70–85%, amber 50–70%, red below 50%, grey no data. ') +
      'Dots: requests (blue open, grey closed).';
  }

  /** A point's popup: the request, its service and status, and its first photo's thumbnail. */
  function fillPopup(box, f) {
    if (box.firstChild) return;
    box.appendChild(el('strong', f.properties.service + ' #' + f.id));
    box.appendChild(el('div', f.properties.status));
    if (f.properties.thumb) {
      box.appendChild(
        el('img', null, {
          src: f.properties.thumb,
          alt: 'Photo of request ' + f.id,
          width: '160',
          loading: 'lazy',
        }),
      );
    }
  }

  /** A week (starting w.week, a Monday) not wholly inside the period, or not over yet, is partial. */
  function isPartialWeek(week) {
    var day = 86400000;
    var startOfWeek = Date.parse(week + 'T00:00:00Z');
    var nextWeek = startOfWeek + 7 * day;
    var periodStart = Date.parse($('start').value + 'T00:00:00Z');
    var periodEnd = Date.parse($('end').value + 'T00:00:00Z') + day;
    var today = Date.parse(isoDay(new Date()) + 'T00:00:00Z') + day;
    return startOfWeek < periodStart || nextWeek > periodEnd || nextWeek > today;
  }

  function renderTrend(s) {
    var partial = s.weekly.filter(function (w) {
      return isPartialWeek(w.week);
    });
    var labels = s.weekly.map(function (w) {
      return isPartialWeek(w.week) ? w.week + ' (partial week)' : w.week;
    });
    $('trend-note').textContent = partial.length
      ? 'Weeks start on Monday. Marked "partial week" and drawn lighter: ' +
        partial
          .map(function (w) {
            return 'the week of ' + w.week;
          })
          .join(' and ') +
        ', which the period covers only in part or which is not over yet.'
      : 'Weeks start on Monday.';
    $('trend').setAttribute('data-partial-weeks', String(partial.length));
    var shade = function (full, light) {
      return s.weekly.map(function (w) {
        return isPartialWeek(w.week) ? light : full;
      });
    };
    var data = {
      labels: labels,
      datasets: [
        {
          label: 'Received',
          data: s.weekly.map(function (w) {
            return w.received;
          }),
          backgroundColor: shade('#0b4f8a', '#9dbbd6'),
        },
        {
          label: 'Closed',
          data: s.weekly.map(function (w) {
            return w.closed;
          }),
          backgroundColor: shade('#7aa62b', '#cadcab'),
        },
      ],
    };
    if (state.chart) {
      state.chart.data = data;
      state.chart.update();
      return;
    }
    state.chart = new Chart($('trend'), {
      type: 'bar',
      data: data,
      options: { responsive: true, animation: false, scales: { y: { beginAtZero: true } } },
    });
  }

  /** After a failure no figure of an earlier period stays up; the message is announced (role=alert). */
  function showError(message) {
    var box = $('error');
    if (message === null) {
      box.hidden = true;
      box.textContent = '';
      document.body.removeAttribute('data-error');
      return;
    }
    $('cards').textContent = '';
    $('spread').textContent = '';
    ['districts', 'channels'].forEach(function (id) {
      var table = $(id);
      var caption = table.querySelector('caption');
      table.textContent = '';
      table.appendChild(caption);
    });
    if (state.areas) state.areas.remove();
    if (state.points) state.points.remove();
    state.areas = state.points = null;
    if (state.chart) {
      state.chart.destroy();
      state.chart = null;
    }
    $('trend-note').textContent = '';
    box.textContent = message;
    box.hidden = false;
    document.body.setAttribute('data-error', 'true');
  }

  function refresh() {
    // No layer to choose (the city has none yet): none is sent, and the page shows no area breakdown.
    var layer = $('layer').value || null;
    document.body.setAttribute('aria-busy', 'true');
    var layerParam = layer === null ? '' : '&layer=' + encodeURIComponent(layer);
    return getJson('/dashboard/api/summary?' + query() + layerParam)
      .then(function (s) {
        showError(null);
        renderCards(s);
        if (layer !== null)
          renderTable('districts', s.by_district, 'Area', function (g) {
            return '&district_layer=' + encodeURIComponent(layer) + '&district=' + encodeURIComponent(g);
          });
        renderTable('channels', s.by_channel, 'Channel', function () {
          return '';
        });
        renderMap(s, layer);
        renderTrend(s);
        document.body.setAttribute('data-ready', 'true');
      })
      .catch(function (e) {
        showError('Could not load the figures for this period: ' + e.message);
      })
      .then(function () {
        document.body.removeAttribute('aria-busy');
      });
  }

  /**
   * The cities of this server as links to their pages: the choice when none is named (or the one named
   * is not served here), else the other cities beside the one shown.
   */
  function showCities(list, current, note) {
    var others = list.filter(function (j) {
      return j.id !== current;
    });
    if (current !== null && others.length === 0) return;
    var ul = $('cities-list');
    ul.textContent = '';
    others.forEach(function (j) {
      var li = el('li');
      li.appendChild(el('a', j.name, { href: dashboardLink(j.id), 'data-jurisdiction': j.id }));
      ul.appendChild(li);
    });
    $('cities-title').textContent = current === null ? 'Choose a city' : 'Other cities';
    $('cities-note').textContent = note;
    $('cities').hidden = false;
  }

  /** No city to show: the figures, filters and data links go, the choice (or the reason) stays. */
  function chooseCity(list, message) {
    $('city').hidden = true;
    $('filters').hidden = true;
    document.querySelector('main').hidden = true;
    $('data-links').hidden = true;
    document.body.setAttribute('data-choice', 'true');
    showCities(
      list,
      null,
      (message ? message + ' ' : '') +
        (list.length
          ? 'This server publishes the figures of ' + list.length + ' cities; each has its own dashboard.'
          : 'No city is set up on this server yet.'),
    );
  }

  function start(config, list) {
    state.config = config;
    state.jurisdiction = config.jurisdiction.id;
    $('city').textContent = config.jurisdiction.name;
    document.title = config.jurisdiction.name + ': ' + document.title;
    document.body.setAttribute('data-jurisdiction', config.jurisdiction.id);
    $('discovery-link').href = '/open311/discovery.json?' + city();
    showCities(list, config.jurisdiction.id, '');
    var select = $('layer');
    config.layers.forEach(function (l) {
      select.appendChild(el('option', l.replace(/_/g, ' '), { value: l }));
    });
    if (config.layers.indexOf('ward') >= 0) select.value = 'ward';
    // A city with no district layers yet: no area choice and no area table (the map keeps the points).
    var noAreas = config.layers.length === 0;
    $('layer-field').hidden = noAreas;
    $('areas').hidden = noAreas;
    if (noAreas) document.body.setAttribute('data-no-areas', 'true');
    var end = new Date();
    $('end').value = isoDay(new Date(end.getTime() + 86400000));
    $('start').value = isoDay(new Date(end.getTime() - 90 * 86400000));
    $('filters').addEventListener('submit', function (e) {
      e.preventDefault();
      refresh();
    });
    select.addEventListener('change', refresh);
    return refresh();
  }

  var named = new URLSearchParams(window.location.search).get('jurisdiction_id');
  getJson('/dashboard/api/jurisdictions')
    .then(function (found) {
      var list = found.jurisdictions;
      var id = named || found.default;
      if (!id) return chooseCity(list, null);
      return getJson('/dashboard/api/config?jurisdiction_id=' + encodeURIComponent(id)).then(
        function (config) {
          return start(config, list);
        },
        function (e) {
          return chooseCity(list, e.message);
        },
      );
    })
    .catch(function (e) {
      showError('Could not load the dashboard: ' + e.message);
    });
})();
