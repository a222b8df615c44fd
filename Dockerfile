# Multi-stage build: a static loopdesk binary on a minimal base, run as a
# non-root user with its data on a volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION}" -o /out/loopdesk ./cmd/loopdesk \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/loopdesk /usr/local/bin/loopdesk
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
ENV LOOPDESK_DATA_DIR=/data LOOPDESK_SERVER_ADDR=0.0.0.0:8080
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/loopdesk"]
CMD ["serve"]
