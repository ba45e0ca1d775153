# IPaddr2 / IPaddr implementation (sourced by both; TA_FLAVOUR says which).
# Hot path of start: one `ip -batch` exec, then arping started in the background.

ipaddr_meta() {
	if [ "$TA_FLAVOUR" = IPaddr ]; then
		_lbl='Alias label number: the address gets label NIC:N (first free N) unless iflabel is given.'
		_cnt=10 _ivl=500
	else
		_lbl='Label suffix: the address gets label NIC:IFLABEL (at most 15 characters in all).'
		_cnt=5 _ivl=200
	fi
	cat <<EOF
<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="$TA_FLAVOUR" version="1.0">
<version>1.0</version>
<longdesc lang="en">Manages a virtual IPv4 address (Tandem). Adds it with ip addr, brings the link up and
sends gratuitous ARP in the background, the first packet at once. Heartbeat call:
$TA_FLAVOUR ip[/bits[/nic[:label]][/broadcast]] start|stop|status</longdesc>
<shortdesc lang="en">Virtual IPv4 address</shortdesc>
<parameters>
<parameter name="ip" unique="1" required="1"><longdesc lang="en">IPv4 address to manage.</longdesc><shortdesc lang="en">IPv4 address</shortdesc><content type="string"/></parameter>
<parameter name="cidr_netmask"><longdesc lang="en">Prefix length (or dotted netmask). Default: from the connected route to ip, else 32.</longdesc><shortdesc lang="en">Netmask</shortdesc><content type="string"/></parameter>
<parameter name="nic"><longdesc lang="en">Interface. Default: the interface of the connected (scope link) route to ip.</longdesc><shortdesc lang="en">Interface</shortdesc><content type="string"/></parameter>
<parameter name="broadcast"><longdesc lang="en">Broadcast address. Default: computed by ip (brd +).</longdesc><shortdesc lang="en">Broadcast</shortdesc><content type="string"/></parameter>
<parameter name="iflabel"><longdesc lang="en">$_lbl</longdesc><shortdesc lang="en">Label</shortdesc><content type="string"/></parameter>
<parameter name="arp_count"><longdesc lang="en">Gratuitous ARP rounds (0: none).</longdesc><shortdesc lang="en">ARP count</shortdesc><content type="integer" default="$_cnt"/></parameter>
<parameter name="arp_interval"><longdesc lang="en">Milliseconds between ARP rounds.</longdesc><shortdesc lang="en">ARP interval</shortdesc><content type="integer" default="$_ivl"/></parameter>
<parameter name="arp_mode"><longdesc lang="en">request (arping -U), reply (arping -A) or both (a request and a reply each round, as Heartbeat's send_arp).</longdesc><shortdesc lang="en">ARP mode</shortdesc><content type="string" default="both"/></parameter>
<parameter name="state_dir"><longdesc lang="en">Directory for the ARP sender's pid file. Default: \$HA_RSCTMP.</longdesc><shortdesc lang="en">State directory</shortdesc><content type="string"/></parameter>
</parameters>
<actions>
<action name="start" timeout="20s"/>
<action name="stop" timeout="20s"/>
<action name="monitor" depth="0" timeout="20s" interval="10s"/>
<action name="status" timeout="20s"/>
<action name="validate-all" timeout="20s"/>
<action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>
EOF
}

# Heartbeat argument ip[/bits[/nic[:label]][/broadcast]] -> OCF_RESKEY_*.
ipaddr_hb_args() {
	[ "$TA_NARGS" -ge 1 ] || return 0
	_rest=$TA_ARG1
	OCF_RESKEY_ip=${_rest%%/*}
	[ "$_rest" = "$OCF_RESKEY_ip" ] && return 0
	_rest=${_rest#*/}
	OCF_RESKEY_cidr_netmask=${_rest%%/*}
	[ "$_rest" = "$OCF_RESKEY_cidr_netmask" ] && return 0
	_rest=${_rest#*/}
	_f=${_rest%%/*}
	if ta_is_ipv4 "$_f"; then
		OCF_RESKEY_broadcast=$_f
		return 0
	fi
	case $_f in
	*:*) OCF_RESKEY_nic=${_f%%:*} OCF_RESKEY_iflabel=${_f#*:} ;;
	*) OCF_RESKEY_nic=$_f ;;
	esac
	[ "$_rest" = "$_f" ] || OCF_RESKEY_broadcast=${_rest#*/}
}

# Dotted netmask -> prefix length (contiguous masks only).
ipaddr_mask_bits() {
	_m=$1
	_bits=0
	_seen0=0
	_ifs=$IFS
	IFS=.
	set -- $_m
	IFS=$_ifs
	for _o in "$1" "$2" "$3" "$4"; do
		case $_o in
		255) [ $_seen0 -eq 0 ] || return 1; _bits=$((_bits + 8)) ;;
		254 | 252 | 248 | 240 | 224 | 192 | 128)
			[ $_seen0 -eq 0 ] || return 1
			_seen0=1
			case $_o in 254) _bits=$((_bits + 7)) ;; 252) _bits=$((_bits + 6)) ;; 248) _bits=$((_bits + 5)) ;;
			240) _bits=$((_bits + 4)) ;; 224) _bits=$((_bits + 3)) ;; 192) _bits=$((_bits + 2)) ;; 128) _bits=$((_bits + 1)) ;; esac ;;
		0) _seen0=1 ;;
		*) return 1 ;;
		esac
	done
	echo "$_bits"
}

# Checks parameters (no forks unless a dotted netmask is given); sets IP, NM, NIC, LABEL, BRD, ARP_*.
ipaddr_validate() {
	command -v ip >/dev/null 2>&1 || ta_fail $OCF_ERR_INSTALLED "ip (iproute2) not found"
	IP=${OCF_RESKEY_ip:-}
	[ -n "$IP" ] || ta_fail $OCF_ERR_CONFIGURED "parameter ip is required"
	ta_is_ipv4 "$IP" || ta_fail $OCF_ERR_CONFIGURED "invalid IPv4 address '$IP'"
	NM=${OCF_RESKEY_cidr_netmask:-}
	if [ -n "$NM" ] && ! ta_is_uint "$NM"; then
		ta_is_ipv4 "$NM" && NM=$(ipaddr_mask_bits "$NM") || ta_fail $OCF_ERR_CONFIGURED "invalid netmask '$OCF_RESKEY_cidr_netmask'"
	fi
	if [ -n "$NM" ] && [ "$NM" -gt 32 ]; then ta_fail $OCF_ERR_CONFIGURED "invalid netmask '$NM'"; fi
	NIC=${OCF_RESKEY_nic:-}
	case $NIC in *:*) [ -n "${OCF_RESKEY_iflabel:-}" ] || OCF_RESKEY_iflabel=${NIC#*:}; NIC=${NIC%%:*} ;; esac
	case $NIC in */* | .*) ta_fail $OCF_ERR_CONFIGURED "invalid interface name '$NIC'" ;; esac
	if [ "${1:-}" = strict ] && [ -n "$NIC" ] && [ ! -e "/sys/class/net/$NIC" ]; then
		ta_fail $OCF_ERR_CONFIGURED "interface $NIC does not exist"
	fi
	BRD=${OCF_RESKEY_broadcast:-}
	[ -z "$BRD" ] || ta_is_ipv4 "$BRD" || ta_fail $OCF_ERR_CONFIGURED "invalid broadcast address '$BRD'"
	if [ "$TA_FLAVOUR" = IPaddr ]; then ARP_COUNT=${OCF_RESKEY_arp_count:-10} ARP_IVL=${OCF_RESKEY_arp_interval:-500}; else
		ARP_COUNT=${OCF_RESKEY_arp_count:-5} ARP_IVL=${OCF_RESKEY_arp_interval:-200}
	fi
	ta_is_uint "$ARP_COUNT" || ta_fail $OCF_ERR_CONFIGURED "invalid arp_count '$ARP_COUNT'"
	ta_is_uint "$ARP_IVL" || ta_fail $OCF_ERR_CONFIGURED "invalid arp_interval '$ARP_IVL'"
	ARP_MODE=${OCF_RESKEY_arp_mode:-both}
	case $ARP_MODE in request | reply | both) ;; *) ta_fail $OCF_ERR_CONFIGURED "invalid arp_mode '$ARP_MODE' (request, reply or both)" ;; esac
	LABEL=
	if [ -n "${OCF_RESKEY_iflabel:-}" ]; then
		case $OCF_RESKEY_iflabel in *[!A-Za-z0-9_.-]*) ta_fail $OCF_ERR_CONFIGURED "invalid iflabel '$OCF_RESKEY_iflabel'" ;; esac
	fi
	if [ "$ARP_COUNT" -gt 0 ] && ! command -v arping >/dev/null 2>&1; then
		ta_fail $OCF_ERR_INSTALLED "arping not found (install iputils-arping)"
	fi
	return 0
}

# Fills NIC and NM from the longest connected route to IP (one `ip route` exec).
ipaddr_find_route() {
	_best=-1
	_routes=$(ip -o -4 route list match "$IP" scope link)
	while read -r _pfx _rest; do
		[ -n "$_pfx" ] || continue
		set -- $_rest
		_dev=
		while [ $# -gt 1 ]; do [ "$1" = dev ] && { _dev=$2; break; }; shift; done
		[ -z "$NIC" ] || [ "$_dev" = "$NIC" ] || continue
		case $_pfx in */*) _b=${_pfx#*/} ;; default) continue ;; *) _b=32 ;; esac
		[ "$_b" -gt "$_best" ] && { _best=$_b; _bdev=$_dev; }
	done <<EOF
$_routes
EOF
	if [ "$_best" -ge 0 ]; then
		[ -n "$NIC" ] || NIC=$_bdev
		[ -n "$NM" ] || NM=$_best
	fi
	[ -n "$NIC" ] || ta_fail $OCF_ERR_CONFIGURED "no interface given and no connected route to $IP: set nic"
	[ -n "$NM" ] || NM=32
}

# Lines of `ip -o addr` holding IP (any interface).
ipaddr_lines() {
	ip -o -4 addr show to "$IP/32"
}

ipaddr_monitor() {
	[ -z "$NIC" ] || [ -e "/sys/class/net/$NIC" ] || return $OCF_NOT_RUNNING
	_l=$(ipaddr_lines) || return $OCF_ERR_GENERIC
	[ -n "$_l" ] || return $OCF_NOT_RUNNING
	if [ -n "$NIC" ]; then
		set -- $_l
		[ "$2" = "$NIC" ] || return $OCF_NOT_RUNNING
	fi
	return $OCF_SUCCESS
}

ipaddr_pidfile() {
	ta_state_dir
	PIDFILE="$TA_STATE_DIR/$TA_FLAVOUR-$IP.arp"
}

ipaddr_start() {
	{ [ -n "$NIC" ] && [ -n "$NM" ]; } || ipaddr_find_route
	if [ -n "$OCF_RESKEY_iflabel" ]; then
		LABEL="$NIC:$OCF_RESKEY_iflabel"
	elif [ "$TA_FLAVOUR" = IPaddr ]; then
		_have=$(ip -o -4 addr show dev "$NIC")
		case $_have in *" inet $IP/"*) exit $OCF_SUCCESS ;; esac
		_n=0
		while :; do
			case $_have in *" $NIC:$_n"[!0-9]* | *" $NIC:$_n") _n=$((_n + 1)) ;; *) break ;; esac
		done
		LABEL="$NIC:$_n"
	fi
	[ "${#LABEL}" -le 15 ] || ta_fail $OCF_ERR_CONFIGURED "label $LABEL is longer than 15 characters"
	if [ -n "$BRD" ]; then _b="brd $BRD"; elif [ "$NM" -lt 31 ]; then _b="brd +"; else _b=; fi
	ipaddr_pidfile
	if ip -force -batch - <<EOF; then
addr add $IP/$NM $_b dev $NIC${LABEL:+ label $LABEL}
link set dev $NIC up
EOF
		ta_garp "$NIC" "$IP" "$ARP_COUNT" "$ARP_IVL" "$ARP_MODE" "$PIDFILE"
		exit $OCF_SUCCESS
	fi
	# Already there (idempotent start) or a real failure.
	ipaddr_monitor && exit $OCF_SUCCESS
	ta_fail $OCF_ERR_GENERIC "could not add $IP/$NM to $NIC"
}

ipaddr_stop() {
	ipaddr_pidfile
	ta_garp_stop "$PIDFILE"
	_i=0
	while [ $_i -lt 5 ]; do
		_l=$(ipaddr_lines) || ta_fail $OCF_ERR_GENERIC "ip addr show failed"
		[ -n "$_l" ] || exit $OCF_SUCCESS
		set -- $_l
		ip addr del "$4" dev "$2" || true
		_i=$((_i + 1))
	done
	ta_fail $OCF_ERR_GENERIC "could not remove $IP"
}

ipaddr_main() {
	ta_init "$@"
	case $TA_ACTION in
	meta-data) ipaddr_meta; exit $OCF_SUCCESS ;;
	usage | help) echo "usage: $TA_NAME {start|stop|monitor|status|validate-all|meta-data}  or  $TA_NAME ip[/bits[/nic[:label]][/broadcast]] {start|stop|status}"; exit $OCF_SUCCESS ;;
	esac
	[ "$TA_HB" -eq 1 ] && ipaddr_hb_args
	case $TA_ACTION in
	start) ipaddr_validate strict; ipaddr_start ;;
	stop) ipaddr_validate; ipaddr_stop ;;
	monitor | status)
		ipaddr_validate
		ipaddr_monitor
		ta_finish_monitor $?
		;;
	validate-all) ipaddr_validate strict; exit $OCF_SUCCESS ;;
	*) ta_fail $OCF_ERR_UNIMPLEMENTED "unsupported action '$TA_ACTION'" ;;
	esac
}
