# bash completion for lifeboat-snap; made by build-aux/gen-completion.py from
# 'lifeboat-snap help': do not edit, run 'make completion'

_lifeboat_snap()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="auth servers create wait show list prune download verify guard retire report help"
	local valued=" --column --download --file --format --inventory --keep --match --max-age --metrics-file --name --older-than --os-auth-url --os-cacert --os-cloud --os-compute-api-version --os-compute-url --os-identity-api-version --os-image-url --os-interface --os-profile --os-project-domain-name --os-project-id --os-project-name --os-region-name --os-user-domain-name --os-user-id --os-username --os-volume-url --parallel --progress --property --reason --server-property --stall-timeout --timeout --tries "
	local cloud="--os-cloud --os-auth-url --os-region-name --os-interface --os-identity-api-version --os-username --os-user-id --os-user-domain-name --os-project-name --os-project-id --os-project-domain-name --os-cacert --insecure --allow-http --os-compute-url --os-image-url --os-volume-url --os-compute-api-version --os-profile"
	local cmd='' i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -* ]]; then
			[[ $valued == *" $w "* ]] && ((i++))
			continue
		fi
		cmd=$w
		break
	done
	case $prev in
	--download|--file|--os-cacert)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--os-identity-api-version)
		COMPREPLY=($(compgen -W "3 2.0" -- "$cur"))
		return ;;
	--os-interface)
		COMPREPLY=($(compgen -W "public internal admin" -- "$cur"))
		return ;;
	--progress)
		COMPREPLY=($(compgen -W "none bar json" -- "$cur"))
		return ;;
	--column|--download|--file|--format|--inventory|--keep|--match|--max-age|--metrics-file|--name|--older-than|--os-auth-url|--os-cacert|--os-cloud|--os-compute-api-version|--os-compute-url|--os-identity-api-version|--os-image-url|--os-interface|--os-profile|--os-project-domain-name|--os-project-id|--os-project-name|--os-region-name|--os-user-domain-name|--os-user-id|--os-username|--os-volume-url|--parallel|--progress|--property|--reason|--server-property|--stall-timeout|--timeout|--tries)
		return ;;
	esac
	local opts
	case $cmd in
	auth) opts="--show-token --json --format --column --debug --help $cloud" ;;
	servers) opts="--json --format --column --debug --help $cloud" ;;
	create) opts="--download --stop --force-stop --start-after --no-wait --wait --name --reason --property --timeout --all --match --server-property --parallel --metrics-file --force --all-hashes --progress --stall-timeout --tries --json --format --column --debug --help $cloud" ;;
	wait) opts="--timeout --json --format --column --debug --help $cloud" ;;
	show) opts="--json --format --column --debug --help $cloud" ;;
	list) opts="--all --match --server-property --parallel --json --format --column --debug --help $cloud" ;;
	prune) opts="--all --match --server-property --parallel --metrics-file --keep --older-than --dry-run --json --format --column --debug --help $cloud" ;;
	download) opts="--metrics-file --force --all-hashes --progress --stall-timeout --tries --json --format --column --debug --help $cloud" ;;
	verify) opts="--all-hashes --json --format --column --debug --help $cloud" ;;
	guard) opts="--stop --force-stop --live --start-after --timeout --all --match --server-property --parallel --metrics-file --create-if-stale --max-age --file --all-hashes --json --format --column --debug --help $cloud" ;;
	retire) opts="--download --stop --force-stop --live --name --reason --property --timeout --metrics-file --inventory --yes --volumes-ok --delete-boot-volume --dry-run --force --all-hashes --progress --stall-timeout --tries --json --format --column --debug --help $cloud" ;;
	report) opts="--json --format --column --debug --help $cloud" ;;
	help) opts="--debug --help $cloud" ;;
	*) opts="--json --format --column --debug --log-json --help --version $cloud" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
	else
		case $cmd in
		download) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		verify) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
		help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
		esac
	fi
}
complete -F _lifeboat_snap lifeboat-snap
