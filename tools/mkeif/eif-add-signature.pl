#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# eif-add-signature.pl IN.eif OUT.eif CERT.pem | --raw DATA
#
# For mkeif's tests: append a signature section to an image, as
# aws-nitro-enclaves-image-format lays it out (a CBOR array of
# {signing_certificate, signature}, each a byte array encoded as an array
# of integers), and fix the section table and the CRC32. The signature
# itself is left empty: PCR8 measures only the certificate. With --raw,
# DATA is the section's content as given. Written apart from mkeif's C, in
# Perl's core modules, so that the tests check mkeif against a second
# reading of the format.
use strict;
use warnings;
use Compress::Zlib qw(crc32);

@ARGV == 3 || @ARGV == 4 or die "usage: $0 IN.eif OUT.eif CERT.pem | --raw DATA\n";
my ($in, $out) = @ARGV[0, 1];

sub slurp {
	open(my $f, '<:raw', $_[0]) or die "$_[0]: $!\n";
	local $/;
	return scalar <$f>;
}

# CBOR heads (RFC 8949): major type and argument.
sub head {
	my ($major, $n) = @_;
	return pack('C', $major << 5 | $n) if $n < 24;
	return pack('CC', $major << 5 | 24, $n) if $n < 256;
	return pack('Cn', $major << 5 | 25, $n) if $n < 65536;
	return pack('CN', $major << 5 | 26, $n);
}
sub text { return head(3, length $_[0]) . $_[0]; }
sub bytes_as_array {
	return head(4, length $_[0]) . join('', map { head(0, $_) } unpack('C*', $_[0]));
}

my $data;
if ($ARGV[2] eq '--raw') {
	$data = slurp($ARGV[3]);
} else {
	$data = head(4, 1) . head(5, 2) .
		text('signing_certificate') . bytes_as_array(slurp($ARGV[2])) .
		text('signature') . bytes_as_array('');
}

my $img = slurp($in);
my $count = unpack('n', substr($img, 26, 2));
die "$in: section table full\n" if $count >= 32;
my $off = length $img;
# Section offsets at 28, sizes at 28 + 32 * 8; 64-bit big-endian.
substr($img, 26, 2) = pack('n', $count + 1);
substr($img, 28 + 8 * $count, 8) = pack('Q>', $off);
substr($img, 28 + 256 + 8 * $count, 8) = pack('Q>', length $data);
$img .= pack('nnQ>', 4, 0, length $data) . $data;
# The CRC32 covers all but its own field, the header's last 4 bytes, and
# mkeif's sections are contiguous in table order.
substr($img, 544, 4) = pack('N', crc32(substr($img, 0, 544) . substr($img, 548)));

open(my $f, '>:raw', $out) or die "$out: $!\n";
print $f $img or die "$out: $!\n";
close($f) or die "$out: $!\n";
