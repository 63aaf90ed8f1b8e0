#!/bin/sh
# Build Pulseboard's partial plotly.js bundle (see entry.js for the traces it holds) into
# public_link/static/, where the app serves it. Run from this folder: `npm ci && sh build.sh`.
# node_modules/ is not committed; package-lock.json pins every version. The maps stylesheet that
# plotly.js imports is left out (--loader:.css=empty): no map traces are bundled.
set -eu
npx esbuild entry.js --bundle --minify --format=iife --target=es2016 \
    --define:global=window --define:define.amd=false \
    --alias:stream=stream-browserify --loader:.css=empty \
    --legal-comments=none \
    --banner:js="/* plotly.js v4.1.1 (MIT, Plotly, Inc.), partial bundle: scatter, bar, pie, heatmap, indicator. Built by frontend/plotly/build.sh. */" \
    --outfile=../../public_link/static/plotly-pulseboard.min.js
