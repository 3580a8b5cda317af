#!/bin/sh
# The "build step" of this toy project: render www/index.html from message.txt.
set -e
mkdir -p /src/www
printf '<h1>%s</h1>\n' "$(cat /src/message.txt)" >/src/www/index.html
echo "built www/index.html"
