# Shared POSIX sh functions for Tandem's fence agents (sourced, not run).
#
# Calling convention (fence-agents / Pacemaker's fencer): the request arrives
# as `name=value` lines on stdin, e.g.
#   action=reboot        reboot | off | on | monitor | status | list | metadata
#   nodename=n2          the node to fence (`port=` is accepted too)
#   hostlist=n1 n2       ... and every parameter of the device
# A single command-line argument is taken as the action (`fence_null metadata`).
# Exit 0 = success; any other status = failure. After fa_init every parameter
# is in FA_<name> (names made of letters, digits and `_` only; others ignored).

# fa_init "$@": reads the request (stdin unless it is a terminal).
fa_init() {
	FA_NAME=${0##*/}
	if [ ! -t 0 ]; then
		while IFS= read -r _fa_line || [ -n "$_fa_line" ]; do
			case $_fa_line in '' | '#'*) continue ;; *=*) ;; *) continue ;; esac
			_fa_k=${_fa_line%%=*}
			case $_fa_k in '' | *[!A-Za-z0-9_]*) continue ;; esac
			eval "FA_$_fa_k=\${_fa_line#*=}"
		done
	fi
	[ $# -ge 1 ] && FA_action=$1
	FA_action=${FA_action:-${FA_option:-reboot}}
	FA_node=${FA_nodename:-${FA_port:-${FA_plug:-}}}
	FA_hosts=${FA_hostlist:-${FA_pcmk_host_list:-}}
}

# fa_log TEXT: one line to stderr (hbd logs every line as it arrives).
fa_log() {
	printf '%s: %s\n' "$FA_NAME" "$*" >&2
}

# fa_fail TEXT: log and exit 1.
fa_fail() {
	fa_log "$*"
	exit 1
}

# fa_need_node: the fencing actions need a node name.
fa_need_node() {
	[ -n "$FA_node" ] || fa_fail "no nodename= given for action $FA_action"
}

# fa_list: the node names of hostlist (commas or blanks), one a line.
fa_list() {
	for _fa_h in $(printf '%s' "$FA_hosts" | tr ',' ' '); do
		printf '%s\n' "$_fa_h"
	done
}

# fa_can NODE: whether hostlist names NODE (an empty hostlist names every node).
fa_can() {
	[ -z "$FA_hosts" ] && return 0
	for _fa_h in $(printf '%s' "$FA_hosts" | tr ',' ' '); do
		[ "$_fa_h" = "$1" ] && return 0
	done
	return 1
}

# fa_metadata DESCRIPTION PARAMS_XML: the fence-agents metadata document.
fa_metadata() {
	cat <<XML
<?xml version="1.0" ?>
<resource-agent name="$FA_NAME" shortdesc="$1">
<parameters>
<parameter name="action" unique="0" required="0"><getopt mixed="-o, --action=[action]"/><content type="string" default="reboot"/><shortdesc lang="en">Fencing action</shortdesc></parameter>
<parameter name="nodename" unique="0" required="0"><content type="string"/><shortdesc lang="en">Node to fence</shortdesc></parameter>
<parameter name="port" unique="0" required="0"><content type="string"/><shortdesc lang="en">Alias of nodename</shortdesc></parameter>
<parameter name="hostlist" unique="0" required="0"><content type="string"/><shortdesc lang="en">Nodes this device can fence (blank or comma separated; empty: any)</shortdesc></parameter>
$2
</parameters>
<actions>
<action name="reboot"/>
<action name="off"/>
<action name="on"/>
<action name="monitor"/>
<action name="status"/>
<action name="list"/>
<action name="metadata"/>
</actions>
</resource-agent>
XML
}
