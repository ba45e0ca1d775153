# Shared POSIX sh functions for Tandem's resource.d agents (sourced, not run).
#
# Every agent works two ways:
#   OCF:       AGENT ACTION            parameters in OCF_RESKEY_<name>
#   Heartbeat: AGENT ARG... ACTION     positional haresources fields, action last
# After ta_init "$@": TA_ACTION is the action, TA_HB=1 for a Heartbeat-style
# call (then TA_ARG1..TA_ARGn hold the arguments, TA_NARGS their count).
# Kept fork-free on the hot path: only builtins here.

OCF_SUCCESS=0
OCF_ERR_GENERIC=1
OCF_ERR_ARGS=2
OCF_ERR_UNIMPLEMENTED=3
OCF_ERR_PERM=4
OCF_ERR_INSTALLED=5
OCF_ERR_CONFIGURED=6
OCF_NOT_RUNNING=7

: "${HA_RSCTMP:=/run/resource-agents}"

# ta_init "$@": splits a call into action and arguments.
ta_init() {
	TA_NAME=${0##*/}
	TA_HB=0
	TA_NARGS=0
	if [ $# -le 1 ]; then
		TA_ACTION=${1:-}
		return 0
	fi
	TA_HB=1
	while [ $# -gt 1 ]; do
		TA_NARGS=$((TA_NARGS + 1))
		eval "TA_ARG$TA_NARGS=\$1"
		shift
	done
	TA_ACTION=$1
}

# ta_reason TEXT: the OCF exit reason (stderr) Pacemaker-style executors pick up.
ta_reason() {
	printf 'ocf-exit-reason:%s\n' "$*" >&2
}

# ta_log TEXT: one line to stderr (the executor keeps the tail).
ta_log() {
	printf '%s: %s\n' "$TA_NAME" "$*" >&2
}

# ta_fail RC TEXT: reason and exit.
ta_fail() {
	_rc=$1
	shift
	ta_reason "$*"
	exit "$_rc"
}

# ta_is_uint VALUE: non-negative decimal integer.
ta_is_uint() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	return 0
}

# ta_is_ipv4 VALUE: dotted quad with octets <= 255.
ta_is_ipv4() {
	case $1 in *[!0-9.]* | .* | *. | *..*) return 1 ;; esac
	_v4rest=$1
	_v4n=0
	while [ -n "$_v4rest" ]; do
		_v4p=${_v4rest%%.*}
		[ "$_v4p" = "$_v4rest" ] && _v4rest= || _v4rest=${_v4rest#*.}
		[ "${#_v4p}" -le 3 ] && [ "$_v4p" -le 255 ] || return 1
		_v4n=$((_v4n + 1))
	done
	[ "$_v4n" -eq 4 ]
}

# ta_ms_to_s MS: seconds with three decimals, for sleep.
ta_ms_to_s() {
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# ta_state_dir: makes sure the state directory exists (forks mkdir only when missing).
ta_state_dir() {
	TA_STATE_DIR=${OCF_RESKEY_state_dir:-$HA_RSCTMP}
	[ -d "$TA_STATE_DIR" ] || mkdir -p "$TA_STATE_DIR" || ta_fail $OCF_ERR_PERM "cannot create state directory $TA_STATE_DIR"
}

# ta_status_words RUNNING(0|1): what Heartbeat's ResourceManager reads, and the LSB status code.
ta_status_words() {
	if [ "$1" -eq 0 ]; then
		echo "INFO: Running OK"
		exit 0
	fi
	echo "INFO: Resource is stopped"
	exit 3
}

# ta_finish_monitor RC: monitor exits with RC; Heartbeat-style status prints the words.
ta_finish_monitor() {
	if [ "$TA_ACTION" = status ]; then
		[ "$1" -eq 0 ] && ta_status_words 0
		[ "$1" -eq $OCF_NOT_RUNNING ] && ta_status_words 1
	fi
	exit "$1"
}

# ta_garp NIC IP COUNT INTERVAL_MS MODE(request|reply|both) PIDFILE
# Gratuitous ARP in the background: the first packet is sent at once by an
# arping started directly; the remaining ones by a background loop.
ta_garp() {
	_nic=$1 _ip=$2 _count=$3 _ivl=$4 _mode=$5 _pidf=$6
	[ "$_count" -gt 0 ] || return 0
	_first=-U
	[ "$_mode" = reply ] && _first=-A
	arping "$_first" -c 1 -I "$_nic" "$_ip" </dev/null >/dev/null 2>&1 &
	_pids=$!
	if [ "$_mode" = both ] || [ "$_count" -gt 1 ]; then
		(
			[ "$_mode" = both ] && arping -A -c 1 -I "$_nic" "$_ip" </dev/null >/dev/null 2>&1 &
			_s=$(ta_ms_to_s "$_ivl")
			_i=1
			while [ "$_i" -lt "$_count" ]; do
				sleep "$_s"
				[ "$_mode" = reply ] || arping -U -c 1 -I "$_nic" "$_ip" </dev/null >/dev/null 2>&1 &
				[ "$_mode" = request ] || arping -A -c 1 -I "$_nic" "$_ip" </dev/null >/dev/null 2>&1 &
				_i=$((_i + 1))
			done
			wait
		) </dev/null >/dev/null 2>&1 &
		_pids="$_pids $!"
	fi
	[ -n "$_pidf" ] && echo "$_pids" >"$_pidf"
	return 0
}

# ta_garp_stop PIDFILE: ends a gratuitous-ARP run still in progress.
ta_garp_stop() {
	[ -f "$1" ] || return 0
	read -r _pids <"$1" || _pids=
	for _p in $_pids; do
		[ -r "/proc/$_p/cmdline" ] && kill "$_p" 2>/dev/null
	done
	rm -f "$1"
}
