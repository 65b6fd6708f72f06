#!/usr/bin/env bash
# Install the Debian packages the product needs, only those missing, only once.
#   run:  what `make run` needs (python3-venv for Debian's own interpreter, WeasyPrint's
#         libraries, a font, gettext)
#   test: plus PostgreSQL, Chromium, poppler-utils, nginx (the deploy check) and Tesseract with
#         its Indonesian model (the risk's OCR of scanned evidence) for the tests
set -euo pipefail
mode=${1:-run}
packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext)
if [ "$mode" = test ]; then
  packages+=(postgresql chromium poppler-utils nginx tesseract-ocr tesseract-ocr-ind)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root:  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
