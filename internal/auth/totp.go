package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The second factor is a time-based one-time password (RFC 6238): HMAC-SHA1,
// six digits, a 30-second step, and codes from one step either side
// accepted so that a phone's clock a little off still works. These are the
// parameters every authenticator app supports without being told.
const (
	TOTPStep   = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps either side of now a code may be from.
	TOTPSkew = 1
	// totpSecretBytes is the secret's size: 160 bits, the HMAC-SHA1 block
	// RFC 4226 recommends.
	totpSecretBytes = 20
	// RecoveryCodes is how many recovery codes an enrolment hands out.
	RecoveryCodes = 10
	// TOTPIssuer names Sextant in authenticator apps.
	TOTPIssuer = "Sextant"
)

// totpEncoding is base32 without padding, the form otpauth:// URIs and
// authenticator apps use for secrets.
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPCode returns the code of the base32 secret at the time step that
// contains t. It is exported so that tests (and nothing else) can act as
// an authenticator app.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, totpStep(t)), nil
}

// decodeTOTPSecret reads a base32 secret the way apps print it: upper or
// lower case, with or without spaces and padding.
func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(secret))
	key, err := totpEncoding.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, errors.New("auth: the TOTP secret is not base32")
	}
	return key, nil
}

// totpStep is the RFC 6238 time step counter of t.
func totpStep(t time.Time) int64 { return t.Unix() / int64(TOTPStep/time.Second) }

// hotp is RFC 4226's HOTP value of key at counter, as TOTPDigits digits.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	code := strconv.FormatUint(uint64(v%1_000_000), 10)
	return strings.Repeat("0", TOTPDigits-len(code)) + code
}

// matchTOTP returns the step, within TOTPSkew of now and after lastStep,
// whose code is code; false when none is. Every candidate is compared in
// constant time.
func matchTOTP(key []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	cur := totpStep(now)
	found := int64(0)
	ok := false
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		if hmac.Equal([]byte(hotp(key, s)), []byte(code)) && s > lastStep && !ok {
			found, ok = s, true
		}
	}
	return found, ok
}

// normaliseCode takes what a person typed for a code: spaces and dashes are
// dropped, letters lower-cased, so "123 456" and "ABCDE-FGHIJ" both work.
func normaliseCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

// isTOTPCode says whether a normalised code has the shape of a TOTP code;
// anything else is tried as a recovery code.
func isTOTPCode(code string) bool {
	if len(code) != TOTPDigits {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// newTOTPSecret returns a random 160-bit secret in base32.
func newTOTPSecret() string {
	b := make([]byte, totpSecretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error()) // the OS is broken; nothing safe can follow
	}
	return totpEncoding.EncodeToString(b)
}

// TOTPURI is the otpauth:// URI of a secret for an account, the text a QR
// code carries to an authenticator app (the Key Uri Format every app
// reads).
func TOTPURI(account, secret string) string {
	label := url.PathEscape(TOTPIssuer + ":" + account)
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", TOTPIssuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", strconv.Itoa(TOTPDigits))
	v.Set("period", strconv.Itoa(int(TOTPStep/time.Second)))
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// recoveryAlphabet spells recovery codes: lower-case letters and digits
// without the ones people confuse (0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode returns a code of ten characters (about 49 bits) shown
// as two groups of five.
func newRecoveryCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		// 31 letters: the bias of x%31 over 256 values is below one
		// percent per character, far less than a guess gains.
		out = append(out, recoveryAlphabet[int(x)%len(recoveryAlphabet)])
	}
	return string(out)
}

// KeyFile is the file in the data directory holding the key that seals
// TOTP secrets in the database.
const KeyFile = "auth.key"

// LoadKey reads the sealing key from dir, creating it (32 random bytes,
// readable by the owner only) the first time. A database copied without
// its data directory then does not give away anyone's second factor.
func LoadKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("auth: key: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("auth: key: %w", err)
		}
		enc := base64.StdEncoding.EncodeToString(key) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadKey(dir) // another process made it first
		}
		if err != nil {
			return nil, fmt.Errorf("auth: key: %w", err)
		}
		if _, err := f.WriteString(enc); err != nil {
			f.Close()
			return nil, fmt.Errorf("auth: key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("auth: key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("auth: key: %s does not hold a 32-byte base64 key", path)
	}
	return key, nil
}

// sealPrefix and plainPrefix mark how a stored secret is kept: sealed
// with AES-256-GCM, or in the clear when the server has no data directory
// to keep a key in (the database is then the trust boundary, as for
// session digests).
const (
	sealPrefix  = "v1:"
	plainPrefix = "plain:"
)

// seal keeps a secret for user id; the id is authenticated with it, so a
// sealed secret copied to another user's row does not open.
func seal(key []byte, userID int64, secret string) (string, error) {
	if key == nil {
		return plainPrefix + secret, nil
	}
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("auth: seal: %w", err)
	}
	out := gcm.Seal(nonce, nonce, []byte(secret), []byte(strconv.FormatInt(userID, 10)))
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// unseal reverses seal.
func unseal(key []byte, userID int64, stored string) (string, error) {
	if s, ok := strings.CutPrefix(stored, plainPrefix); ok {
		return s, nil
	}
	b64, ok := strings.CutPrefix(stored, sealPrefix)
	if !ok {
		return "", errors.New("auth: unknown form of stored TOTP secret")
	}
	if key == nil {
		return "", errors.New("auth: a sealed TOTP secret but no key: is the data directory's " + KeyFile + " missing?")
	}
	b, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("auth: unseal: %w", err)
	}
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	if len(b) < gcm.NonceSize() {
		return "", errors.New("auth: unseal: too short")
	}
	plain, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], []byte(strconv.FormatInt(userID, 10)))
	if err != nil {
		return "", fmt.Errorf("auth: unseal: the key does not open the stored TOTP secret: %w", err)
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("auth: key: %w", err)
	}
	return cipher.NewGCM(block)
}
