/* Pulseboard Overview: apply a tick's compact payload in the browser.
 *
 * The server sends card texts (already formatted) and series tails as bare numbers; this turns
 * them into dash_clientside.Patch operations, so figures are patched, never resent, and the
 * network carries only the numbers. The payload is built by callbacks/overview.py:compact_tick.
 */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    pulseboard: Object.assign({}, (window.dash_clientside || {}).pulseboard, {
        applyTick: function (data, meta) {
            const noUpdate = window.dash_clientside.no_update;
            const kpiCount = (meta && meta.kpis ? meta.kpis.length : 6);
            if (!data || !meta) {
                return new Array(kpiCount * 4 + 3).fill(noUpdate);
            }
            const Patch = window.dash_clientside.Patch;
            // Positions the client holds are replaced; the rest are appended (x from `xs`).
            const writeTail = function (patch, trace, index, size, xs, ys) {
                const fullX = xs.length === ys.length && index === 0;
                ys.forEach(function (y, offset) {
                    const position = index + offset;
                    if (position < size) {
                        if (fullX) { patch.assign(trace.concat(["x", position]), xs[offset]); }
                        patch.assign(trace.concat(["y", position]), y);
                    } else {
                        patch.append(trace.concat(["x"]), xs[position - size]);
                        patch.append(trace.concat(["y"]), y);
                    }
                });
            };
            const values = data.k.map(function (card) { return card[0]; });
            const changes = data.k.map(function (card) { return card[1]; });
            const classes = data.k.map(function (card) { return meta.classes[String(card[2])]; });
            const sparks = data.s.map(function (ys) {
                const patch = new Patch();
                writeTail(patch, ["data", 0], data.i, data.n, data.x, ys);
                return patch.build();
            });
            const regions = new Patch();
            data.r.forEach(function (ys, trace) {
                writeTail(regions, ["data", trace], data.i, data.n, data.x, ys);
            });
            const stream = new Patch();
            writeTail(stream, ["data", 0], data.q.i, data.q.n, data.q.x, data.q.y);
            for (let dropped = 0; dropped < data.q.d; dropped++) {
                stream.delete(["data", 0, "x", 0]);
                stream.delete(["data", 0, "y", 0]);
            }
            const mix = new Patch().assign(["data", 0, "values"], data.m);
            return values.concat(changes, classes, sparks,
                                 [stream.build(), regions.build(), mix.build()]);
        }
    })
});
