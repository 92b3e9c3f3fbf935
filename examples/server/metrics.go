package main

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/inbound-hooks/inbound/hooks"
)

// newMetrics returns the telemetry the library records into and the
// /metrics handler that exposes it in the Prometheus text format. The
// library itself depends on the OpenTelemetry API only; the SDK and the
// exporter are the host's choice, made here.
func newMetrics() (hooks.Telemetry, http.Handler, func() error, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return hooks.Telemetry{}, nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	shutdown := func() error { return mp.Shutdown(context.Background()) }
	return hooks.Telemetry{MeterProvider: mp}, h, shutdown, nil
}
