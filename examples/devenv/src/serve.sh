#!/bin/sh
# Serve the generated page; build.sh renders it from the files next to it.
set -e
sh /src/build.sh
exec httpd -f -p "${APP_PORT:-8000}" -h /src/www
