# bash completion for guestinfoctl                          -*- shell-script -*-
#
# Commands, options, and VM names: those come from guestinfoctl itself
# ("list --names"), on the bus the command line names (--user, --address,
# -H), with a short time limit so a missing daemon never blocks the shell.
# Needs nothing from the bash-completion package.

_guestinfoctl() {
    local commands="list show guestosinfo userlist filesystemlist interfaces watch refresh metrics help"
    local options="--system --user --address= --host= -H --json --timeout= --no-ask-password --textfile= --interval= --help --version"
    local vm_commands=" show guestosinfo userlist filesystemlist interfaces watch refresh "

    # The words before the cursor, split on blanks only: bash also splits
    # COMP_WORDS at '=' and ':', which "--address=unix:path=..." has plenty of.
    local line=${COMP_LINE:0:COMP_POINT} cur=
    local -a words
    read -ra words <<< "$line"
    if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then
        cur=${words[${#words[@]}-1]}
        unset 'words[${#words[@]}-1]'
    fi
    local prev=${words[${#words[@]}-1]-}

    # What bash will replace is the part of cur after its last '=' or ':'.
    local keep=${cur%"${COMP_WORDS[COMP_CWORD]}"}

    case $prev in
        -H|--host)
            declare -F _known_hosts_real >/dev/null && _known_hosts_real -- "$cur"
            return ;;
        --address|--timeout|--interval)
            return ;;
        --textfile)
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
    esac
    case $cur in
        --*=*)
            return ;;
        -*)
            COMPREPLY=($(compgen -W "$options" -- "$cur"))
            [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace
            return ;;
    esac

    # The command, how many arguments it has, and the options naming the bus.
    local i command= nargs=0
    local -a bus=()
    for ((i = 1; i < ${#words[@]}; i++)); do
        case ${words[i]} in
            --user|--system|--address=*|--host=*)
                bus+=("${words[i]}") ;;
            -H|--host|--address)
                bus+=("${words[i]}" "${words[i+1]-}")
                ((i++)) ;;
            --timeout|--textfile|--interval)
                ((i++)) ;;
            -*) ;;
            *)
                if [[ -z $command ]]; then command=${words[i]}; else ((nargs++)); fi ;;
        esac
    done

    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    elif [[ $command == help ]]; then
        ((nargs == 0)) && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    elif [[ $vm_commands == *" $command "* ]] && ((nargs == 0)); then
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(guestinfoctl "${bus[@]}" --timeout=2 --no-ask-password list --names 2>/dev/null)" -- "$cur"))
        [[ -n $keep ]] && COMPREPLY=("${COMPREPLY[@]#"$keep"}")
    fi
    return 0
}

complete -F _guestinfoctl guestinfoctl
