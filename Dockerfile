# Sextant as a container image: a static binary on an empty base, run as a
# user without privileges, its data (SQLite, keys) on the /data volume.
#   docker build -t sextant .
#   docker run -p 8080:8080 -v sextant-data:/data sextant serve --demo
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/sextant-ops/sextant/internal/cli.Version=${VERSION}" \
      -o /out/sextant ./cmd/sextant \
 && mkdir -p /out/data

FROM scratch
# CA roots for HTTPS checks and channels; the time-zone database is in the
# binary (time/tzdata).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/sextant /usr/local/bin/sextant
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV SEXTANT_DATA=/data SEXTANT_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 CMD ["/usr/local/bin/sextant", "health"]
ENTRYPOINT ["/usr/local/bin/sextant"]
CMD ["serve"]
