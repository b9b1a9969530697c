# Source this file to use the uninstalled build from a shell:
#   . scripts/env.sh
#   gst-inspect-1.0 facerec
_facerec_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GST_PLUGIN_PATH="$_facerec_root/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export FACEREC_MODEL_PATH="$_facerec_root/models/data${FACEREC_MODEL_PATH:+:$FACEREC_MODEL_PATH}"
export PATH="$_facerec_root/build/tools:$PATH"
export LD_LIBRARY_PATH="$_facerec_root/build/gst${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset _facerec_root
