#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkeif_test.sh [DIR]: the host-side tests of mkeif and mkeif-corrupt (built
# in DIR, by default next to this script), as KTAP. Good images round-trip
# through --describe, with the CRC and PCRs checked against coreutils' and
# gzip's own SHA-384 and CRC32; every kind of mkeif-corrupt is refused with
# its exit status and a message naming the defect; bad build inputs are
# refused; a signed image gets PCR8. Needs no VM and no root; openssl
# makes the test certificate.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here}
mkeif=$dir/mkeif
corrupt=$dir/mkeif-corrupt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source-path=SCRIPTDIR source=../testing/selftests/vsock_fwd/ktap_lib.sh
. "$here/../testing/selftests/vsock_fwd/ktap_lib.sh"
ktap_print_header

# A stand-in bzImage: only its setup header's magic and version string
# matter to mkeif.
kernel=$tmp/bzImage
{
	head -c 514 /dev/zero
	printf 'HdrS'
	head -c 8 /dev/zero
	printf '\x00\x01'	# version string at 0x100 + 0x200
	head -c $((0x300 - 0x210)) /dev/zero
	printf '6.12.0-test (mkeif@test) #1\0'
	seq 1 3000
} >"$kernel"
seq 1 20000 >"$tmp/boot.cpio"
seq 5 7 100000 >"$tmp/app.cpio"
cmdline='console=ttyS0 reboot=k panic=1 init=/init'

# A PCR extended once from zero with the SHA-384 of stdin, in hex.
pcr_of() {
	{ head -c 48 /dev/zero; sha384sum | cut -d' ' -f1 | tr a-f A-F | basenc --base16 -d; } |
		sha384sum | cut -d' ' -f1
}
field() { sed -n "s/^$1 //p" "$2"; }

# 1. One ramdisk: the layout, the fields and the PCRs.
out=$tmp/one.eif
"$mkeif" -o "$out" --kernel "$kernel" --cmdline "$cmdline" --ramdisk "$tmp/boot.cpio" \
	>"$tmp/build.log" 2>&1
ktap_status $? build_one_ramdisk
"$mkeif" --describe "$out" >"$tmp/one.txt" 2>&1
ktap_status $? describe_one_ramdisk
[ "$(field cmdline "$tmp/one.txt")" = "$cmdline" ] &&
	[ "$(field version "$tmp/one.txt")" = 4 ] &&
	[ "$(field flags "$tmp/one.txt")" = "0x0000 (x86_64)" ] &&
	[ "$(field default_memory "$tmp/one.txt")" = $((1024 << 20)) ] &&
	[ "$(field default_cpus "$tmp/one.txt")" = 2 ] &&
	[ "$(field sections "$tmp/one.txt")" = 4 ] &&
	[ "$(grep -c '^section [0-9]' "$tmp/one.txt")" = 4 ] &&
	grep -qx "section 0 kernel offset 548 size $(stat -c %s "$kernel")" "$tmp/one.txt" &&
	grep -qx 'section 1 cmdline offset [0-9]* size '${#cmdline} "$tmp/one.txt" &&
	grep -qx 'section 2 metadata offset [0-9]* size [0-9]*' "$tmp/one.txt" &&
	grep -qx "section 3 ramdisk offset [0-9]* size $(stat -c %s "$tmp/boot.cpio")" "$tmp/one.txt"
ktap_status $? describe_fields
pcr0=$(cat "$kernel" <(printf %s "$cmdline") "$tmp/boot.cpio" | pcr_of)
pcr2=$(pcr_of </dev/null)
[ "$(field PCR0 "$tmp/one.txt")" = "$pcr0" ] &&
	[ "$(field PCR1 "$tmp/one.txt")" = "$pcr0" ] &&
	[ "$(field PCR2 "$tmp/one.txt")" = "$pcr2" ] &&
	! grep -q '^PCR8' "$tmp/one.txt"
ktap_status $? pcrs_one_ramdisk

# The CRC32 of everything but the CRC field, which is the header's last 4
# bytes; mkeif lays the sections out back to back in table order. gzip's
# trailer holds the IEEE CRC32, little-endian.
want=$({ head -c 544 "$out"; tail -c +549 "$out"; } | gzip -c | tail -c 8 | head -c 4 |
	od -An -tx4 | tr -d ' ')
[ "$(field crc32 "$tmp/one.txt")" = "0x$want ok" ] &&
	[ "$(od -An -tx1 -j544 -N4 "$out" | tr -d ' ')" = "$want" ]
ktap_status $? crc32_as_gzip_computes_it

# 2. Two ramdisks: the second is the application's, in PCR2 only.
out2=$tmp/two.eif
"$mkeif" -o "$out2" --kernel "$kernel" --cmdline "$cmdline" --ramdisk "$tmp/boot.cpio" \
	--ramdisk "$tmp/app.cpio" --memory 512 --cpus 4 >"$tmp/build.log" 2>&1 &&
	"$mkeif" --describe "$out2" >"$tmp/two.txt" 2>&1
ktap_status $? build_describe_two_ramdisks
[ "$(field PCR0 "$tmp/two.txt")" = "$(cat "$kernel" <(printf %s "$cmdline") "$tmp/boot.cpio" "$tmp/app.cpio" | pcr_of)" ] &&
	[ "$(field PCR1 "$tmp/two.txt")" = "$pcr0" ] &&
	[ "$(field PCR2 "$tmp/two.txt")" = "$(pcr_of <"$tmp/app.cpio")" ] &&
	[ "$(field default_memory "$tmp/two.txt")" = $((512 << 20)) ] &&
	[ "$(field default_cpus "$tmp/two.txt")" = 4 ]
ktap_status $? pcrs_two_ramdisks

# 3. JSON: the same description.
"$mkeif" --describe "$out2" -j >"$tmp/two.json" 2>&1 &&
	jq -e --arg p0 "$(field PCR0 "$tmp/two.txt")" --arg p1 "$(field PCR1 "$tmp/two.txt")" \
		--arg p2 "$(field PCR2 "$tmp/two.txt")" --arg c "$cmdline" '
		.version == 4 and .flags == 0 and .crc_ok and (.sections | length) == 5 and
		([.sections[].type] == ["kernel", "cmdline", "metadata", "ramdisk", "ramdisk"]) and
		.cmdline == $c and .measurements.PCR0 == $p0 and .measurements.PCR1 == $p1 and
		.measurements.PCR2 == $p2 and .metadata.BuildMetadata.BuildTool == "mkeif" and
		.metadata.BuildMetadata.KernelVersion == "6.12.0-test" and
		.metadata.ImageName == "two"' "$tmp/two.json" >/dev/null
ktap_status $? describe_json

# 4. Metadata: --metadata is the CustomMetadata; a fixed SOURCE_DATE_EPOCH
# makes the image reproducible.
echo '{"app": "demo", "n": 3}' >"$tmp/meta.json"
mkdir "$tmp/a" "$tmp/b"
SOURCE_DATE_EPOCH=1700000000 "$mkeif" -o "$tmp/a/m.eif" --kernel "$kernel" --cmdline x \
	--ramdisk "$tmp/boot.cpio" --metadata "$tmp/meta.json" &&
	SOURCE_DATE_EPOCH=1700000000 "$mkeif" -o "$tmp/b/m.eif" --kernel "$kernel" --cmdline x \
		--ramdisk "$tmp/boot.cpio" --metadata "$tmp/meta.json" &&
	cmp -s "$tmp/a/m.eif" "$tmp/b/m.eif" &&
	"$mkeif" --describe -j "$tmp/a/m.eif" | jq -e '.metadata.CustomMetadata == {"app": "demo", "n": 3} and
		.metadata.BuildMetadata.BuildTime == "2023-11-14T22:13:20+00:00"' >/dev/null
ktap_status $? metadata_and_reproducible

# 5. A signed image (the section as eif-add-signature.pl writes it): PCR8
# measures the certificate, which openssl reads independently; the other
# PCRs stay as they were.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=mkeif-test \
	>"$tmp/openssl.log" 2>&1 &&
	"$here/eif-add-signature.pl" "$out2" "$tmp/signed.eif" "$tmp/cert.pem" &&
	"$mkeif" --describe "$tmp/signed.eif" >"$tmp/signed.txt" 2>&1 &&
	[ "$(field PCR8 "$tmp/signed.txt")" = "$(openssl x509 -in "$tmp/cert.pem" -outform DER | pcr_of)" ] &&
	[ "$(grep '^PCR[012] ' "$tmp/signed.txt")" = "$(grep '^PCR[012] ' "$tmp/two.txt")" ] &&
	grep -qx 'section 5 signature offset [0-9]* size [0-9]*' "$tmp/signed.txt"
ktap_status $? signed_pcr8

# 6. Bad build inputs: each refused with its status and a message.
refused() { # NAME STATUS PATTERN CMD...
	local name=$1 want=$2 pat=$3 got
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] && grep -q -- "$pat" "$tmp/err" && [ ! -s "$tmp/out" ]
	ktap_status $? "$name"
	[ "$got" -eq "$want" ] || echo "# exit status $got, expected $want: $(cat "$tmp/err")"
}
echo '[1, 2]' >"$tmp/array.json"
echo '{"a": ' >"$tmp/broken.json"
refused build_not_bzimage 4 'not a bzImage' \
	"$mkeif" -o "$tmp/x.eif" --kernel "$tmp/boot.cpio" --cmdline x --ramdisk "$tmp/boot.cpio"
refused build_no_kernel_file 3 'No such file' \
	"$mkeif" -o "$tmp/x.eif" --kernel "$tmp/none" --cmdline x --ramdisk "$tmp/boot.cpio"
refused build_no_ramdisk_file 3 'No such file' \
	"$mkeif" -o "$tmp/x.eif" --kernel "$kernel" --cmdline x --ramdisk "$tmp/none"
refused build_without_ramdisk 2 'at least one --ramdisk' \
	"$mkeif" -o "$tmp/x.eif" --kernel "$kernel" --cmdline x
refused build_metadata_not_object 4 'must be a JSON object' \
	"$mkeif" -o "$tmp/x.eif" --kernel "$kernel" --cmdline x --ramdisk "$tmp/boot.cpio" \
	--metadata "$tmp/array.json"
refused build_metadata_not_json 4 'broken.json: line' \
	"$mkeif" -o "$tmp/x.eif" --kernel "$kernel" --cmdline x --ramdisk "$tmp/boot.cpio" \
	--metadata "$tmp/broken.json"
refused build_bad_cpus 2 'not a number' \
	"$mkeif" -o "$tmp/x.eif" --kernel "$kernel" --cmdline x --ramdisk "$tmp/boot.cpio" --cpus 0
[ ! -e "$tmp/x.eif" ] && [ ! -e "$tmp/x.eif.tmp" ]
ktap_status $? build_refusals_leave_no_file
printf '\x81\x01' >"$tmp/sig-int"
"$here/eif-add-signature.pl" "$out" "$tmp/bad.eif" --raw "$tmp/sig-int"
refused signature_not_maps 17 'not an array of maps' "$mkeif" --describe "$tmp/bad.eif"
printf '\x81\xa1' >"$tmp/sig-cut"
"$here/eif-add-signature.pl" "$out" "$tmp/bad.eif" --raw "$tmp/sig-cut"
refused signature_not_cbor 17 'is not CBOR' "$mkeif" --describe "$tmp/bad.eif"
refused describe_missing_file 3 'No such file' "$mkeif" --describe "$tmp/none"
refused describe_not_a_file 3 'not a regular file' "$mkeif" --describe /dev/null
: >"$tmp/empty.eif"
refused describe_zero_bytes 10 'truncated: 0 bytes' "$mkeif" --describe "$tmp/empty.eif"

# 7. Every corruption, from both images, refused with its own status and a
# message naming the defect.
declare -A msg=(
	[magic]='bad magic' [version]='EIF version 3' [flags]='undefined bits 0x8000'
	[crc]='CRC32 mismatch' [size]='in the EIF header but' [section-size]='ends beyond the end'
	[overlap]='overlap' [offset]='beyond the end of the file' [no-kernel]='no kernel section'
	[no-cmdline]='no cmdline section' [no-ramdisk]='no ramdisk section'
	[truncate]='truncated: section' [metadata]='metadata section 2 is not JSON'
)
while IFS=$'\t' read -r kind status _ _; do
	for img in one two; do
		"$corrupt" "$kind" "$tmp/$img.eif" "$tmp/bad.eif"
		refused "corrupt_${kind}_$img" "$status" "${msg[$kind]:-?}" "$mkeif" --describe "$tmp/bad.eif"
	done
done < <("$corrupt" --list)
[ "$("$corrupt" --list | wc -l)" -eq "${#msg[@]}" ]
ktap_status $? corrupt_every_kind_tested

# The plan comes last, when the count of corruptions is known.
ktap_set_plan $((KTAP_TESTNO - 1))
ktap_finished
